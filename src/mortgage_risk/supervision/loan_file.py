"""One loan file (贷款档案) as the supervisor reads it: plain, typed records, JSON in and out.

The records mirror what the system keeps for a mortgage loan: the application, its workflow
steps, the on-site visits, the engines' assessments, the people's credit decisions, the
valuation dates, the contract, the mortgage registration, the disbursement, the loan as it
stands and the warnings raised on it. Nothing here judges the file; the checks do
(:mod:`.facts`, :mod:`.checks`). ``LoanFile.from_dict`` refuses bad input with
DomainError naming the field (``decisions[0].decider_level``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

from mortgage_risk.control.enums import AuthorityLevel, Recommendation
from mortgage_risk.domain.enums import ApplicationStatus, FiveCategory, LoanStatus, Role
from mortgage_risk.domain.errors import DomainError
from mortgage_risk.domain.origination import Step
from mortgage_risk.monitoring.handling import LEVELS, CaseStatus
from mortgage_risk.supervision import _read as r

STAGES: Final = ("review", "approval")
#: decisions a person may record: the approval outcomes and the reviewer's opinion
DECISIONS: Final = ("approve", "approve_with_conditions", "decline", "refer", "agree", "return")
APPROVING: Final = frozenset({"approve", "approve_with_conditions"})


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _level(value: AuthorityLevel | None) -> str | None:
    return None if value is None else value.value


@dataclass(frozen=True)
class ApplicationRecord:
    """The application (贷款申请): who entered it, where, for how much, and its state."""

    id: int
    no: str
    branch_id: int
    officer: str | None
    amount: Decimal
    submitted_on: date
    status: ApplicationStatus

    _KEYS: ClassVar[tuple[str, ...]] = (
        "id", "no", "branch_id", "officer", "amount", "submitted_on", "status")

    @classmethod
    def from_dict(cls, raw: Any, path: str = "application") -> ApplicationRecord:
        d = r.obj(raw, path, allowed=cls._KEYS)
        return cls(id=r.whole(r.required(d, "id", path), r.at(path, "id"), low=1),
                   no=r.text(r.required(d, "no", path), r.at(path, "no")),
                   branch_id=r.whole(r.required(d, "branch_id", path), r.at(path, "branch_id")),
                   officer=r.optional_text(d.get("officer"), r.at(path, "officer")),
                   amount=r.amount(r.required(d, "amount", path), r.at(path, "amount")),
                   submitted_on=r.day(r.required(d, "submitted_on", path),
                                      r.at(path, "submitted_on")),
                   status=r.choice(r.required(d, "status", path), r.at(path, "status"),
                                   ApplicationStatus))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "no": self.no, "branch_id": self.branch_id,
                "officer": self.officer, "amount": str(self.amount),
                "submitted_on": self.submitted_on.isoformat(), "status": self.status.value}


@dataclass(frozen=True)
class WorkflowEvent:
    """One step of the origination workflow: which, by whom, when."""

    step: Step
    actor: str
    at: datetime

    @classmethod
    def from_dict(cls, raw: Any, path: str) -> WorkflowEvent:
        d = r.obj(raw, path, allowed=("step", "actor", "at"))
        return cls(step=r.choice(r.required(d, "step", path), r.at(path, "step"), Step),
                   actor=r.text(r.required(d, "actor", path), r.at(path, "actor")),
                   at=r.moment(r.required(d, "at", path), r.at(path, "at")))

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step.value, "actor": self.actor, "at": self.at.isoformat()}


@dataclass(frozen=True)
class SiteVisit:
    """The loan officer's on-site visit (实地调查)."""

    visited_on: date
    officer: str

    @classmethod
    def from_dict(cls, raw: Any, path: str) -> SiteVisit:
        d = r.obj(raw, path, allowed=("visited_on", "officer"))
        return cls(visited_on=r.day(r.required(d, "visited_on", path),
                                    r.at(path, "visited_on")),
                   officer=r.text(r.required(d, "officer", path), r.at(path, "officer")))

    def to_dict(self) -> dict[str, Any]:
        return {"visited_on": self.visited_on.isoformat(), "officer": self.officer}


@dataclass(frozen=True)
class AssessmentRecord:
    """The engines' verdict: the recommendation and the authority level it was routed to."""

    created_at: datetime
    authority_level: AuthorityLevel
    recommendation: Recommendation
    versions: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: Any, path: str) -> AssessmentRecord:
        d = r.obj(raw, path, allowed=("created_at", "authority_level", "recommendation",
                                      "versions"))
        versions_raw = r.obj(d.get("versions") or {}, r.at(path, "versions"))
        return cls(created_at=r.moment(r.required(d, "created_at", path),
                                       r.at(path, "created_at")),
                   authority_level=r.choice(r.required(d, "authority_level", path),
                                            r.at(path, "authority_level"), AuthorityLevel),
                   recommendation=r.choice(r.required(d, "recommendation", path),
                                           r.at(path, "recommendation"), Recommendation),
                   versions={str(k): r.text(v, r.at(r.at(path, "versions"), str(k)))
                             for k, v in versions_raw.items()})

    def to_dict(self) -> dict[str, Any]:
        return {"created_at": self.created_at.isoformat(),
                "authority_level": self.authority_level.value,
                "recommendation": self.recommendation.value, "versions": dict(self.versions)}


@dataclass(frozen=True)
class CreditDecision:
    """A person's decision at review or approval.

    ``decider_level`` is the authority the decider holds; ``authority_level`` the level the
    decision required (None: the routed level of the assessment). ``override`` marks a
    decision against the engines' recommendation.
    """

    stage: str
    decision: str
    decided_by: str
    decider_role: Role
    decider_level: AuthorityLevel | None
    authority_level: AuthorityLevel | None
    override: bool
    reasons: str
    at: datetime

    _KEYS: ClassVar[tuple[str, ...]] = (
        "stage", "decision", "decided_by", "decider_role", "decider_level",
        "authority_level", "override", "reasons", "at")

    @property
    def approving(self) -> bool:
        return self.stage == "approval" and self.decision in APPROVING

    @classmethod
    def from_dict(cls, raw: Any, path: str) -> CreditDecision:
        d = r.obj(raw, path, allowed=cls._KEYS)

        def level(key: str) -> AuthorityLevel | None:
            value = d.get(key)
            return None if value is None else r.choice(value, r.at(path, key), AuthorityLevel)

        reasons = d.get("reasons") or ""
        if not isinstance(reasons, str):
            raise DomainError(r.at(path, "reasons"), f"must be text; got {reasons!r}")
        return cls(stage=r.one_of(r.required(d, "stage", path), r.at(path, "stage"), STAGES),
                   decision=r.one_of(r.required(d, "decision", path), r.at(path, "decision"),
                                     DECISIONS),
                   decided_by=r.text(r.required(d, "decided_by", path),
                                     r.at(path, "decided_by")),
                   decider_role=r.choice(r.required(d, "decider_role", path),
                                         r.at(path, "decider_role"), Role),
                   decider_level=level("decider_level"),
                   authority_level=level("authority_level"),
                   override=r.flag(d.get("override", False), r.at(path, "override")),
                   reasons=reasons,
                   at=r.moment(r.required(d, "at", path), r.at(path, "at")))

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "decision": self.decision, "decided_by": self.decided_by,
                "decider_role": self.decider_role.value,
                "decider_level": _level(self.decider_level),
                "authority_level": _level(self.authority_level), "override": self.override,
                "reasons": self.reasons, "at": self.at.isoformat()}


@dataclass(frozen=True)
class LoanRecord:
    """The loan as it stands: arrears, class, status; ``first_missed_due_on`` is the due date
    of the oldest unpaid instalment (None when nothing is overdue)."""

    id: int
    days_past_due: int
    five_category: FiveCategory
    status: LoanStatus
    origination_date: date
    first_missed_due_on: date | None = None

    _KEYS: ClassVar[tuple[str, ...]] = (
        "id", "days_past_due", "five_category", "status", "origination_date",
        "first_missed_due_on")

    @classmethod
    def from_dict(cls, raw: Any, path: str = "loan") -> LoanRecord:
        d = r.obj(raw, path, allowed=cls._KEYS)
        return cls(id=r.whole(r.required(d, "id", path), r.at(path, "id"), low=1),
                   days_past_due=r.whole(d.get("days_past_due", 0),
                                         r.at(path, "days_past_due"), low=0),
                   five_category=r.choice(r.required(d, "five_category", path),
                                          r.at(path, "five_category"), FiveCategory),
                   status=r.choice(r.required(d, "status", path), r.at(path, "status"),
                                   LoanStatus),
                   origination_date=r.day(r.required(d, "origination_date", path),
                                          r.at(path, "origination_date")),
                   first_missed_due_on=r.optional_day(d.get("first_missed_due_on"),
                                                      r.at(path, "first_missed_due_on")))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "days_past_due": self.days_past_due,
                "five_category": self.five_category.value, "status": self.status.value,
                "origination_date": self.origination_date.isoformat(),
                "first_missed_due_on": _iso(self.first_missed_due_on)}


@dataclass(frozen=True)
class WarningCase:
    """A warning raised on the borrower and how it was handled."""

    level: str
    opened_on: date
    deadline: date | None
    status: CaseStatus
    verified_on: date | None = None
    closed_on: date | None = None
    closed_by: str | None = None
    assigned_to: str | None = None
    id: int | None = None

    _KEYS: ClassVar[tuple[str, ...]] = (
        "id", "level", "opened_on", "deadline", "verified_on", "closed_on", "closed_by",
        "status", "assigned_to")

    @classmethod
    def from_dict(cls, raw: Any, path: str) -> WarningCase:
        d = r.obj(raw, path, allowed=cls._KEYS)
        opened = r.day(r.required(d, "opened_on", path), r.at(path, "opened_on"))
        deadline = r.optional_day(d.get("deadline"), r.at(path, "deadline"))
        if deadline is not None and deadline < opened:
            raise DomainError(r.at(path, "deadline"), f"{deadline} is before the warning was "
                                                      f"opened on {opened}")
        wid = d.get("id")
        return cls(level=r.one_of(r.required(d, "level", path), r.at(path, "level"), LEVELS),
                   opened_on=opened, deadline=deadline,
                   status=r.choice(r.required(d, "status", path), r.at(path, "status"),
                                   CaseStatus),
                   verified_on=r.optional_day(d.get("verified_on"), r.at(path, "verified_on")),
                   closed_on=r.optional_day(d.get("closed_on"), r.at(path, "closed_on")),
                   closed_by=r.optional_text(d.get("closed_by"), r.at(path, "closed_by")),
                   assigned_to=r.optional_text(d.get("assigned_to"), r.at(path, "assigned_to")),
                   id=None if wid is None else r.whole(wid, r.at(path, "id"), low=1))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "opened_on": self.opened_on.isoformat(),
                "deadline": _iso(self.deadline), "verified_on": _iso(self.verified_on),
                "closed_on": _iso(self.closed_on), "closed_by": self.closed_by,
                "status": self.status.value, "assigned_to": self.assigned_to}


@dataclass(frozen=True)
class LoanFile:
    """Everything the supervisor checks about one mortgage loan, from application on."""

    application: ApplicationRecord
    events: tuple[WorkflowEvent, ...] = ()
    visits: tuple[SiteVisit, ...] = ()
    assessments: tuple[AssessmentRecord, ...] = ()
    decisions: tuple[CreditDecision, ...] = ()
    valuation_dates: tuple[date, ...] = ()
    contract_signed_on: date | None = None
    registered_on: date | None = None
    disbursed_on: date | None = None
    loan: LoanRecord | None = None
    warnings: tuple[WarningCase, ...] = ()

    _KEYS: ClassVar[tuple[str, ...]] = (
        "application", "events", "visits", "assessments", "decisions", "valuation_dates",
        "contract_signed_on", "registered_on", "disbursed_on", "loan", "warnings")

    @property
    def file_id(self) -> int:
        """The file is known by its application's id."""
        return self.application.id

    @classmethod
    def from_dict(cls, raw: Any) -> LoanFile:
        d = r.obj(raw, "", allowed=cls._KEYS)
        loan_raw = d.get("loan")
        return cls(
            application=ApplicationRecord.from_dict(r.required(d, "application", "")),
            events=tuple(WorkflowEvent.from_dict(e, f"events[{i}]")
                         for i, e in enumerate(r.items(d, "events", ""))),
            visits=tuple(SiteVisit.from_dict(v, f"visits[{i}]")
                         for i, v in enumerate(r.items(d, "visits", ""))),
            assessments=tuple(AssessmentRecord.from_dict(a, f"assessments[{i}]")
                              for i, a in enumerate(r.items(d, "assessments", ""))),
            decisions=tuple(CreditDecision.from_dict(c, f"decisions[{i}]")
                            for i, c in enumerate(r.items(d, "decisions", ""))),
            valuation_dates=tuple(r.day(v, f"valuation_dates[{i}]")
                                  for i, v in enumerate(r.items(d, "valuation_dates", ""))),
            contract_signed_on=r.optional_day(d.get("contract_signed_on"),
                                              "contract_signed_on"),
            registered_on=r.optional_day(d.get("registered_on"), "registered_on"),
            disbursed_on=r.optional_day(d.get("disbursed_on"), "disbursed_on"),
            loan=None if loan_raw is None else LoanRecord.from_dict(loan_raw),
            warnings=tuple(WarningCase.from_dict(w, f"warnings[{i}]")
                           for i, w in enumerate(r.items(d, "warnings", ""))),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "application": self.application.to_dict(),
            "events": [e.to_dict() for e in self.events],
            "visits": [v.to_dict() for v in self.visits],
            "assessments": [a.to_dict() for a in self.assessments],
            "decisions": [c.to_dict() for c in self.decisions],
            "valuation_dates": [v.isoformat() for v in self.valuation_dates],
            "contract_signed_on": _iso(self.contract_signed_on),
            "registered_on": _iso(self.registered_on),
            "disbursed_on": _iso(self.disbursed_on),
            "loan": None if self.loan is None else self.loan.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
        }
