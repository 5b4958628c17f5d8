"""The facts a compliance check reads, computed from one loan file (or from the audit chain).

Checks are written in the identification rule language (:mod:`mortgage_risk.identification`)
over these facts, type-checked against :func:`file_schema`. The check set's parameters are
facts too, named ``policy.<name>`` (``policy.valuation_max_age_days``). A fact the file cannot
establish is missing (None); in a check, ``not x`` holds for a missing ``x``, so an unproven
step counts as not done.

Timestamps are compared as instants; a step's day is its day in Beijing time.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Final, Protocol

import pandas as pd

from mortgage_risk.control.enums import AuthorityLevel, Recommendation
from mortgage_risk.domain.enums import ApplicationStatus, FiveCategory, LoanStatus
from mortgage_risk.domain.errors import DomainError
from mortgage_risk.domain.origination import Step
from mortgage_risk.identification.facts import Fact, FactsSchema, FactType
from mortgage_risk.monitoring.classification import classify_one
from mortgage_risk.monitoring.handling import CaseStatus
from mortgage_risk.monitoring.policy import MonitoringPolicy, rank
from mortgage_risk.supervision import _read as r
from mortgage_risk.supervision.findings import ResponsibleRole, StaffRef
from mortgage_risk.supervision.loan_file import APPROVING, CreditDecision, LoanFile, WarningCase

N, INT, B, E, D = FactType.NUMBER, FactType.INTEGER, FactType.BOOLEAN, FactType.ENUM, \
    FactType.DATE

_POST_APPROVAL: Final = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.CONTRACT_SIGNED,
                                   ApplicationStatus.MORTGAGE_REGISTERED,
                                   ApplicationStatus.DISBURSED})
IDENTITY_COLUMNS: Final = ("file_id", "application_no", "branch_id", "officer", "loan_id")


def _values(enum: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(m.value) for m in enum)


FILE_FACTS: Final = (
    Fact("amount", N, "CNY", "申请金额", "amount applied for", minimum=0),
    Fact("submitted_on", D, "date", "申请提交日期", "day the application was submitted"),
    Fact("decided", B, "", "已作出审批决定", "an approval decision was made (approve or decline)"),
    Fact("approved", B, "", "已审批同意", "the application was approved"),
    Fact("approval_date", D, "date", "审批同意日期", "day of the approval"),
    Fact("recommendation", E, "", "系统审批建议（最近一次评估）",
         "the engines' recommendation (latest assessment)", _values(Recommendation)),
    Fact("routed_level", E, "", "系统路由的审批层级（最近一次评估）",
         "authority level the case was routed to (latest assessment)", _values(AuthorityLevel)),
    Fact("decider_level", E, "", "审批人所持权限（最近一次审批决定）",
         "authority the decider holds (latest approval decision)", _values(AuthorityLevel)),
    Fact("approval_within_authority", B, "", "每个审批决定均在审批人权限内",
         "every approval decision was taken within the decider's authority"),
    Fact("maker_is_checker", B, "", "经办人复核或审批了本人录入的申请",
         "the maker reviewed or decided their own application"),
    Fact("reviewer_is_approver", B, "", "审查人又审批了同一申请",
         "the reviewer also decided the application"),
    Fact("valuation_age_days_at_approval", INT, "days", "审批时评估报告已出具天数",
         "age of the latest valuation at approval (missing: none before approval)", minimum=0),
    Fact("valuations_count", INT, "valuations", "评估报告份数", "valuations on file", minimum=0),
    Fact("visit_before_approval", B, "", "审批前已实地调查", "on-site visit on or before approval"),
    Fact("visits_count", INT, "visits", "实地调查次数", "on-site visits on file", minimum=0),
    Fact("contract_signed_on", D, "date", "合同签订日期", "day the contract was signed"),
    Fact("contract_before_approval", B, "", "合同签订早于审批（或无审批）",
         "contract signed before the approval (or without one)"),
    Fact("registered_on", D, "date", "抵押登记日期", "day the mortgage was registered"),
    Fact("disbursed", B, "", "已放款", "the loan was disbursed"),
    Fact("disbursement_date", D, "date", "放款日期", "day of disbursement"),
    Fact("registered_before_disbursement", B, "", "放款前已办妥抵押登记",
         "mortgage registered on or before disbursement"),
    Fact("has_loan", B, "", "已形成贷款", "a loan exists"),
    Fact("origination_date", D, "date", "贷款发放日", "origination date"),
    Fact("months_on_book", INT, "months", "放款至今月数", "whole months since origination",
         minimum=0),
    Fact("loan_status", E, "", "贷款状态", "loan status", _values(LoanStatus)),
    Fact("five_category", E, "", "五级分类", "five-category class", _values(FiveCategory)),
    Fact("dpd", INT, "days", "逾期天数", "days past due", minimum=0),
    Fact("category_rank", INT, "rank", "五级分类序号（正常0…损失4）",
         "class rank (normal 0 ... loss 4)", minimum=0, maximum=4),
    Fact("dpd_floor_rank", INT, "rank", "逾期天数（及核销）要求的最低分类序号",
         "class rank the DPD floors (and a write-off) require", minimum=0, maximum=4),
    Fact("early_default", B, "", "放款后短期内逾期达违约标准",
         "reached the default DPD within the early-default window after origination"),
    Fact("warnings_count", INT, "warnings", "预警数", "warnings raised", minimum=0),
    Fact("warnings_late_count", INT, "warnings", "超期核实的预警数",
         "warnings verified after their deadline, or unverified past it", minimum=0),
    Fact("warnings_open_count", INT, "warnings", "未解除的预警数", "warnings not closed",
         minimum=0),
    Fact("override", B, "", "存在人工推翻系统建议", "an approval decision overrode the engines"),
    Fact("overrides_count", INT, "decisions", "人工推翻次数", "override decisions", minimum=0),
    Fact("override_unflagged", B, "", "推翻系统建议但未登记为推翻",
         "a decision went against the recommendation without being recorded as an override"),
    Fact("override_without_reasons", B, "", "人工推翻未书面说明理由",
         "an override without written reasons"),
    Fact("override_below_next_level", B, "", "人工推翻未由上一级审批",
         "an override decided below the level above the routed one"),
)

AUDIT_FACTS: Final = (
    Fact("audit_chain_intact", B, "", "审计日志哈希链完整", "the audit log's hash chain holds"),
    Fact("audit_records", INT, "records", "审计记录数", "audit records walked", minimum=0),
    Fact("audit_first_break_id", INT, "id", "首个断链记录号", "id of the first broken record",
         minimum=0),
)


@dataclass(frozen=True)
class FactParameters:
    """The check set's parameters the facts themselves depend on."""

    override_steps: int = 1
    default_dpd: int = 90
    early_default_months: int = 12

    @classmethod
    def from_mapping(cls, parameters: Mapping[str, Any],
                     path: str = "parameters") -> FactParameters:
        def get(key: str, low: int) -> int:
            return r.whole(r.required(parameters, key, path), r.at(path, key), low=low)
        return cls(override_steps=get("override_steps", 0), default_dpd=get("default_dpd", 1),
                   early_default_months=get("early_default_months", 1))


def parameter_facts(parameters: Mapping[str, Any]) -> tuple[Fact, ...]:
    """Each parameter as a ``policy.<name>`` fact typed by its value."""
    out = []
    for name, value in parameters.items():
        if name.startswith("_"):
            continue
        if isinstance(value, bool):
            kind = B
        elif isinstance(value, int):
            kind = INT
        elif isinstance(value, float):
            kind = N
        elif isinstance(value, str):
            kind = FactType.STRING
        else:
            raise DomainError(f"parameters.{name}", f"must be a number, true/false or text; "
                                                    f"got {value!r}")
        out.append(Fact(f"policy.{name}", kind, "", f"监督参数 {name}", f"parameter {name}",
                        default=value))
    return tuple(out)


def parameter_values(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {f"policy.{k}": v for k, v in parameters.items() if not k.startswith("_")}


def file_schema(parameters: Mapping[str, Any]) -> FactsSchema:
    """The facts a loan-file check may read, with the check set's parameters."""
    return FactsSchema(FILE_FACTS + parameter_facts(parameters))


def audit_schema(parameters: Mapping[str, Any]) -> FactsSchema:
    return FactsSchema(AUDIT_FACTS + parameter_facts(parameters))


# --------------------------------------------------------------------------- views of a file

def _fold(name: str | None) -> str | None:
    return None if name is None or not name.strip() else name.strip().casefold()


def approval_decisions(file: LoanFile) -> tuple[CreditDecision, ...]:
    return tuple(d for d in file.decisions if d.stage == "approval")


def _event_actors(file: LoanFile, *steps: Step) -> list[str]:
    return [e.actor for e in sorted(file.events, key=lambda e: r.instant(e.at))
            if e.step in steps]


def _event_day(file: LoanFile, step: Step) -> date | None:
    days = [r.local_day(e.at) for e in file.events if e.step is step]
    return max(days) if days else None


def makers(file: LoanFile) -> list[str]:
    """Who entered the application: its officer and whoever submitted it."""
    names = [file.application.officer] if file.application.officer else []
    return names + _event_actors(file, Step.SUBMIT)


def reviewers(file: LoanFile) -> list[str]:
    return _event_actors(file, Step.REVIEW) + [d.decided_by for d in file.decisions
                                               if d.stage == "review"]


def approvers(file: LoanFile) -> list[str]:
    return _event_actors(file, Step.APPROVE, Step.DECLINE) + [
        d.decided_by for d in approval_decisions(file)]


def approval_date(file: LoanFile) -> date | None:
    """The day of the latest approving decision, else of the workflow's approve step."""
    days = [r.local_day(d.at) for d in approval_decisions(file) if d.approving]
    return max(days) if days else _event_day(file, Step.APPROVE)


def disbursement_date(file: LoanFile) -> date | None:
    return file.disbursed_on or _event_day(file, Step.DISBURSE)


def routed_level(file: LoanFile, decision: CreditDecision | None = None
                 ) -> tuple[AuthorityLevel, Recommendation] | None:
    """The level and recommendation of the latest assessment (made before ``decision``)."""
    rows = sorted(file.assessments, key=lambda a: r.instant(a.created_at))
    if decision is not None:
        rows = [a for a in rows if r.instant(a.created_at) <= r.instant(decision.at)]
    return (rows[-1].authority_level, rows[-1].recommendation) if rows else None


def _required(file: LoanFile, d: CreditDecision) -> AuthorityLevel | None:
    if d.authority_level is not None:
        return d.authority_level
    routed = routed_level(file, d)
    return None if routed is None else routed[0]


def _against(recommendation: Recommendation, decision: str) -> bool:
    """Approving what the engines decline, or declining what they approve."""
    if recommendation is Recommendation.DECLINE:
        return decision in APPROVING
    if recommendation in (Recommendation.APPROVE, Recommendation.APPROVE_WITH_CONDITIONS):
        return decision == "decline"
    return False


def _is_override(file: LoanFile, d: CreditDecision) -> bool:
    routed = routed_level(file, d)
    return d.override or (routed is not None and _against(routed[1], d.decision))


def _override_high_enough(file: LoanFile, d: CreditDecision, steps: int) -> bool:
    """An override needs ``steps`` levels above the routed one (without an assessment, the
    decision's own required level, taken to include the step)."""
    routed = routed_level(file, d)
    need = routed[0].next_up(steps) if routed is not None else d.authority_level
    return d.decider_level is not None and need is not None and \
        d.decider_level.rank >= need.rank


def warning_verified_on(w: WarningCase) -> date | None:
    if w.verified_on is not None:
        return w.verified_on
    return w.closed_on if w.status is CaseStatus.CLOSED else None


def warning_late(w: WarningCase, as_of: date) -> bool:
    """Verified after its deadline, or still unverified on ``as_of`` past it."""
    if w.deadline is None:
        return False
    verified = warning_verified_on(w)
    return (verified if verified is not None else as_of) > w.deadline


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _full_months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def early_default(file: LoanFile, as_of: date, params: FactParameters) -> bool:
    """The loan reached ``default_dpd`` days past due within ``early_default_months`` of
    origination (the arrears counted from the first missed due date)."""
    loan = file.loan
    if loan is None or loan.days_past_due < params.default_dpd:
        return False
    first = loan.first_missed_due_on or as_of - timedelta(days=loan.days_past_due)
    reached = first + timedelta(days=params.default_dpd)
    return reached <= add_months(loan.origination_date, params.early_default_months)


@lru_cache(maxsize=1)
def default_monitoring_policy() -> MonitoringPolicy:
    return MonitoringPolicy.load_default()


def dpd_floor_rank(file: LoanFile, as_of: date, policy: MonitoringPolicy | None = None
                   ) -> int | None:
    """The class rank the DPD floors (and a write-off) alone require, by the monitoring
    engine's own rules."""
    loan = file.loan
    if loan is None:
        return None
    result = classify_one({"id": loan.id, "days_past_due": loan.days_past_due,
                           "status": loan.status.value},
                          as_of=as_of, policy=policy or default_monitoring_policy())
    return rank(result.category)


# --------------------------------------------------------------------------- facts

def file_facts(file: LoanFile, *, as_of: date, parameters: FactParameters | None = None,
               policy: MonitoringPolicy | None = None) -> dict[str, Any]:
    """Every fact of :data:`FILE_FACTS` for one file as of ``as_of``."""
    params = parameters or FactParameters()
    app = file.application
    decisions = approval_decisions(file)
    approved_on = approval_date(file)
    approved = approved_on is not None or app.status in _POST_APPROVAL or any(
        d.approving for d in decisions)
    decided = approved or bool(decisions) or app.status is ApplicationStatus.DECLINED or \
        _event_day(file, Step.DECLINE) is not None
    routed = routed_level(file)
    last = decisions[-1] if decisions else None
    valuations = [v for v in file.valuation_dates if approved_on is not None and v <= approved_on]
    paid_out = disbursement_date(file)
    overrides = [d for d in decisions if _is_override(file, d)]
    checkers = {_fold(n) for n in reviewers(file) + approvers(file)}
    loan = file.loan
    return {
        "amount": float(app.amount),
        "submitted_on": app.submitted_on,
        "decided": decided,
        "approved": approved,
        "approval_date": approved_on,
        "recommendation": None if routed is None else routed[1].value,
        "routed_level": None if routed is None else routed[0].value,
        "decider_level": None if last is None or last.decider_level is None
        else last.decider_level.value,
        "approval_within_authority": bool(decisions) and all(
            d.decider_level is not None and (req := _required(file, d)) is not None
            and d.decider_level.rank >= req.rank for d in decisions),
        "maker_is_checker": any(_fold(m) in checkers for m in makers(file)),
        "reviewer_is_approver": bool({_fold(n) for n in reviewers(file)}
                                     & {_fold(n) for n in approvers(file)}),
        "valuation_age_days_at_approval": None if approved_on is None or not valuations
        else (approved_on - max(valuations)).days,
        "valuations_count": len(file.valuation_dates),
        "visit_before_approval": approved_on is not None and any(
            v.visited_on <= approved_on for v in file.visits),
        "visits_count": len(file.visits),
        "contract_signed_on": file.contract_signed_on,
        "contract_before_approval": file.contract_signed_on is not None and (
            approved_on is None or file.contract_signed_on < approved_on),
        "registered_on": file.registered_on,
        "disbursed": paid_out is not None or app.status is ApplicationStatus.DISBURSED,
        "disbursement_date": paid_out,
        "registered_before_disbursement": file.registered_on is not None
        and paid_out is not None and file.registered_on <= paid_out,
        "has_loan": loan is not None,
        "origination_date": None if loan is None else loan.origination_date,
        "months_on_book": None if loan is None
        else max(0, _full_months(loan.origination_date, as_of)),
        "loan_status": None if loan is None else loan.status.value,
        "five_category": None if loan is None else loan.five_category.value,
        "dpd": None if loan is None else loan.days_past_due,
        "category_rank": None if loan is None else rank(loan.five_category),
        "dpd_floor_rank": dpd_floor_rank(file, as_of, policy),
        "early_default": early_default(file, as_of, params),
        "warnings_count": len(file.warnings),
        "warnings_late_count": sum(warning_late(w, as_of) for w in file.warnings),
        "warnings_open_count": sum(w.status is not CaseStatus.CLOSED for w in file.warnings),
        "override": bool(overrides),
        "overrides_count": len(overrides),
        "override_unflagged": any(not d.override for d in overrides),
        "override_without_reasons": any(not d.reasons.strip() for d in overrides),
        "override_below_next_level": any(
            not _override_high_enough(file, d, params.override_steps) for d in overrides),
    }


def identity(file: LoanFile) -> dict[str, Any]:
    """The columns that say which file a row is about."""
    return {"file_id": file.file_id, "application_no": file.application.no,
            "branch_id": file.application.branch_id, "officer": file.application.officer,
            "loan_id": None if file.loan is None else file.loan.id}


def facts_frame(files: Iterable[LoanFile], *, as_of: date,
                parameters: FactParameters | None = None,
                policy: MonitoringPolicy | None = None) -> pd.DataFrame:
    """One row per file: :data:`IDENTITY_COLUMNS`, then every fact."""
    rows = [identity(f) | file_facts(f, as_of=as_of, parameters=parameters, policy=policy)
            for f in files]
    return pd.DataFrame(rows, columns=[*IDENTITY_COLUMNS, *(f.name for f in FILE_FACTS)])


# --------------------------------------------------------------------------- who answers

def responsible_staff(file: LoanFile, role: ResponsibleRole, *, as_of: date) -> StaffRef | None:
    """The staff member who answers for ``role`` on this file (None when the file does not
    say; the audit custodian is never on a file)."""
    officer = file.application.officer or next(iter(_event_actors(file, Step.SUBMIT)), None)
    name: str | None = None
    if role is ResponsibleRole.LOAN_OFFICER:
        name = officer
    elif role is ResponsibleRole.REVIEWER:
        name = next(reversed(reviewers(file)), None)
    elif role is ResponsibleRole.APPROVER:
        decisions = approval_decisions(file)
        overriding = [d for d in decisions if _is_override(file, d)]
        chosen = (overriding or list(decisions))
        name = chosen[-1].decided_by if chosen else next(reversed(approvers(file)), None)
    elif role is ResponsibleRole.CHECKER:
        checkers = reviewers(file) + approvers(file)
        folded = {_fold(m) for m in makers(file)}
        name = next((c for c in checkers if _fold(c) in folded), None)
    elif role is ResponsibleRole.DISBURSER:
        name = next(reversed(_event_actors(file, Step.DISBURSE)), officer)
    elif role is ResponsibleRole.WARNING_ASSIGNEE:
        late = [w for w in file.warnings if warning_late(w, as_of)]
        name = next((w.assigned_to for w in late if w.assigned_to), officer)
    return None if name is None else StaffRef(name, role)


# --------------------------------------------------------------------------- audit chain

class ChainBreakLike(Protocol):
    @property
    def record_id(self) -> int: ...

    @property
    def reason(self) -> str: ...


class ChainReportLike(Protocol):
    """What a walk of the audit log reports (storage's ``ChainReport`` has this shape)."""

    @property
    def records(self) -> int: ...

    @property
    def first_break(self) -> ChainBreakLike | None: ...


@dataclass(frozen=True)
class ChainBreak:
    record_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """A plain chain report, e.g. read from JSON."""

    records: int
    first_break: ChainBreak | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> ChainReport:
        d = r.obj(raw, "chain", allowed=("records", "first_break", "intact"))
        brk = d.get("first_break")
        if brk is not None:
            b = r.obj(brk, "chain.first_break", allowed=("record_id", "reason"))
            brk = ChainBreak(r.whole(r.required(b, "record_id", "chain.first_break"),
                                     "chain.first_break.record_id", low=1),
                             r.text(r.required(b, "reason", "chain.first_break"),
                                    "chain.first_break.reason"))
        return cls(r.whole(r.required(d, "records", "chain"), "chain.records", low=0), brk)


def audit_facts(report: ChainReportLike) -> dict[str, Any]:
    brk = report.first_break
    return {"audit_chain_intact": brk is None, "audit_records": report.records,
            "audit_first_break_id": None if brk is None else brk.record_id}
