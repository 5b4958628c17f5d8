"""Risk control: the decision engine, limits, pricing, capital, concentration and authority.

Pure: no database, web or file I/O beyond reading the package's own default policy.
"""

from mortgage_risk.control.authority import (
    OverrideCheck,
    Routing,
    RoutingDriver,
    check_maker_checker,
    check_override,
    is_override,
    route,
    route_explained,
)
from mortgage_risk.control.batch import decide_frame
from mortgage_risk.control.capital import (
    BASEL_LTV_BANDS,
    CapitalCharge,
    IrbResult,
    basel_irb_mortgage,
    capital_charge,
    ltv_band_risk_weight,
)
from mortgage_risk.control.concentration import (
    BookState,
    ConcentrationReport,
    LimitCheck,
    concentration_headroom,
)
from mortgage_risk.control.decision import Decision, decide
from mortgage_risk.control.enums import AuthorityLevel, Recommendation, Severity
from mortgage_risk.control.inputs import (
    Affordability,
    Collateral,
    CollateralFacts,
    Flag,
    FlagLike,
    LoanRequest,
    Screening,
    ScreeningLike,
    collateral_from_valuation,
)
from mortgage_risk.control.limits import (
    DtiBudget,
    LimitCandidate,
    LoanLimit,
    affordable_principal,
    first_installment,
    max_loan,
)
from mortgage_risk.control.policy import CreditPolicy
from mortgage_risk.control.pricing import PriceBreakdown, price
from mortgage_risk.control.reasons import Condition, Reason

__all__ = [
    "BASEL_LTV_BANDS",
    "Affordability",
    "AuthorityLevel",
    "BookState",
    "CapitalCharge",
    "Collateral",
    "CollateralFacts",
    "ConcentrationReport",
    "Condition",
    "CreditPolicy",
    "Decision",
    "DtiBudget",
    "Flag",
    "FlagLike",
    "IrbResult",
    "LimitCandidate",
    "LimitCheck",
    "LoanLimit",
    "LoanRequest",
    "OverrideCheck",
    "PriceBreakdown",
    "Reason",
    "Recommendation",
    "Routing",
    "RoutingDriver",
    "Screening",
    "ScreeningLike",
    "Severity",
    "affordable_principal",
    "basel_irb_mortgage",
    "capital_charge",
    "check_maker_checker",
    "check_override",
    "collateral_from_valuation",
    "concentration_headroom",
    "decide",
    "decide_frame",
    "first_installment",
    "is_override",
    "ltv_band_risk_weight",
    "max_loan",
    "price",
    "route",
    "route_explained",
]
