"""Value objects and entities shared by every risk process."""

from mortgage_risk.domain.entities import (
    Application,
    Borrower,
    CreditBureauSummary,
    ExternalEvent,
    Loan,
    Property,
    RepaymentRecord,
    ScheduleLine,
)
from mortgage_risk.domain.enums import (
    ApplicationStatus,
    BorrowerSegment,
    BranchKind,
    EventType,
    FiveCategory,
    LandNature,
    LoanStatus,
    MatchConfidence,
    PropertyType,
    RegistrationStatus,
    RepaymentMethod,
    Role,
    Structure,
)
from mortgage_risk.domain.errors import DomainError
from mortgage_risk.domain.money import Money
from mortgage_risk.domain.resident_id import ResidentId
from mortgage_risk.domain.schedule import build_schedule

__all__ = [
    "Application",
    "ApplicationStatus",
    "Borrower",
    "BorrowerSegment",
    "BranchKind",
    "CreditBureauSummary",
    "DomainError",
    "EventType",
    "ExternalEvent",
    "FiveCategory",
    "LandNature",
    "Loan",
    "LoanStatus",
    "MatchConfidence",
    "Money",
    "Property",
    "PropertyType",
    "RegistrationStatus",
    "RepaymentMethod",
    "RepaymentRecord",
    "ResidentId",
    "Role",
    "ScheduleLine",
    "Structure",
    "build_schedule",
]
