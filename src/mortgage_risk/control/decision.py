"""The decision engine: flags, PD and grade, collateral, affordability → a recommendation.

Rules, each a named reason in Chinese and English (the recommendation is the most severe):

decline
    a ``reject`` flag; ineligible collateral; PD above ``pd_cutoffs.decline_above``; a grade in
    ``grade_rules.decline``; a maximum loan below the product's minimum amount.
refer
    a ``refer`` flag; PD in ``(refer_above, decline_above]``; a grade in ``grade_rules.refer``;
    a maximum loan short of the request by more than ``amount.reduce_with_conditions_up_to``.
approve with conditions
    a ``warn`` flag (condition: resolve it); a grade in ``grade_rules.conditions``; a maximum
    loan short of the request within the tolerance (condition: reduce the amount to the
    limit); a term beyond the product's maximum (condition: shorten it).
approve
    none of the above.

The proposed amount is ``min(requested, limit)``; the approved amount is the proposed amount
unless the recommendation is decline (then 0). Price, expected loss (PD × LGD × EAD, with EAD
the proposed amount) and the authority level are worked out for every recommendation, so a
higher level sees the numbers of a case it may override.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mortgage_risk.control.authority import Routing, route_explained
from mortgage_risk.control.concentration import (
    BookState,
    ConcentrationReport,
    concentration_headroom,
)
from mortgage_risk.control.enums import AuthorityLevel, Recommendation, Severity
from mortgage_risk.control.inputs import (
    Affordability,
    Collateral,
    CollateralFacts,
    FlagLike,
    LoanRequest,
    ScreeningLike,
    collateral_from_valuation,
    worst_severity,
)
from mortgage_risk.control.limits import CANDIDATE_LABELS, LoanLimit, max_loan
from mortgage_risk.control.policy import CreditPolicy
from mortgage_risk.control.pricing import PriceBreakdown, as_decimal, price
from mortgage_risk.control.reasons import Condition, Reason
from mortgage_risk.domain import DomainError

A = Recommendation.APPROVE
AWC = Recommendation.APPROVE_WITH_CONDITIONS
REFER = Recommendation.REFER
DECLINE = Recommendation.DECLINE

# Reason codes (the part before the first "."), as bits for the batch engine.
REASON_BITS: dict[str, int] = {
    "flag_reject": 1, "collateral_ineligible": 2, "pd_decline": 4, "grade_decline": 8,
    "limit_below_minimum": 16, "flag_refer": 32, "pd_refer": 64, "grade_refer": 128,
    "amount_shortfall": 256, "flag_warn": 512, "grade_conditions": 1024,
    "amount_reduced": 2048, "term_reduced": 4096, "approve": 8192,
}


@dataclass(frozen=True)
class Decision:
    """The engine's recommendation with every number that led to it."""

    recommendation: Recommendation
    reasons: tuple[Reason, ...]
    conditions: tuple[Condition, ...]
    limit: LoanLimit
    requested_amount: Decimal
    proposed_amount: Decimal
    approved_amount: Decimal
    term_months: int
    price: PriceBreakdown
    pd: float
    lgd: float
    grade: str
    ltv: Decimal | None  # proposed amount ÷ mortgage value
    expected_loss: Decimal
    concentration: ConcentrationReport
    authority_level: AuthorityLevel
    routing: Routing
    worst_flag_severity: Severity | None
    ruleset_version: str | None
    policy_version: str

    @property
    def reason_mask(self) -> int:
        return reason_mask(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (Decimals as strings)."""
        return {
            "recommendation": self.recommendation.value,
            "recommendation_zh": self.recommendation.label_zh,
            "reasons": [{"code": r.code, "zh": r.zh, "en": r.en, "effect": r.effect.value}
                        for r in self.reasons],
            "conditions": [{"code": c.code, "zh": c.zh, "en": c.en} for c in self.conditions],
            "limit": self.limit.to_dict(),
            "requested_amount": str(self.requested_amount),
            "proposed_amount": str(self.proposed_amount),
            "approved_amount": str(self.approved_amount),
            "term_months": self.term_months,
            "price": self.price.to_dict(),
            "pd": self.pd, "lgd": self.lgd, "grade": self.grade,
            "ltv": None if self.ltv is None else str(self.ltv),
            "expected_loss": str(self.expected_loss),
            "concentration": self.concentration.to_dict(),
            "authority_level": self.authority_level.value,
            "authority_level_zh": self.authority_level.label_zh,
            "routing": [{"source": d.source, "value": d.value, "level": d.level.value}
                        for d in self.routing.drivers],
            "worst_flag_severity": None if self.worst_flag_severity is None
            else self.worst_flag_severity.value,
            "ruleset_version": self.ruleset_version,
            "policy_version": self.policy_version,
        }


def reason_mask(reasons: Sequence[Reason]) -> int:
    """The batch bitmask of a list of reasons."""
    mask = 0
    for r in reasons:
        mask |= REASON_BITS.get(r.code.split(".", 1)[0], 0)
    return mask


def _pct(x: float | Decimal) -> str:
    return f"{float(x):.2%}"


def _yuan(x: Decimal) -> str:
    return f"{x:,.2f}"


def _flag_reasons(flags: Sequence[FlagLike]) -> tuple[list[Reason], list[Condition]]:
    reasons: list[Reason] = []
    conditions: list[Condition] = []
    words = {Severity.REJECT: ("flag_reject", "否决", "reject", DECLINE),
             Severity.REFER: ("flag_refer", "提交上级", "refer", REFER),
             Severity.WARN: ("flag_warn", "关注", "warn", AWC)}
    for f in flags:
        sev = Severity.parse(f.severity, f"flags.{f.rule_id}.severity")
        if sev not in words:
            continue
        code, zh, en, effect = words[sev]
        reasons.append(Reason(f"{code}.{f.rule_id}", f"风险信号（{zh}）{f.rule_id}：{f.message_zh}",
                              f"risk flag ({en}) {f.rule_id}: {f.message_en}", effect))
        if sev is Severity.WARN:
            conditions.append(Condition(f"resolve_flag.{f.rule_id}",
                                        f"放款前落实风险信号 {f.rule_id}：{f.message_zh}",
                                        f"resolve risk flag {f.rule_id} before disbursement: "
                                        f"{f.message_en}"))
    return reasons, conditions


def _as_collateral(valuation: CollateralFacts | Any) -> Collateral:
    if isinstance(valuation, Collateral):
        return valuation
    return collateral_from_valuation(valuation)


def decide(screening: ScreeningLike | None, pd: float, grade: str,
           valuation: CollateralFacts | Any, affordability: Affordability,
           request: LoanRequest, policy: CreditPolicy, concentration: BookState) -> Decision:
    """Recommend approve, approve with conditions, refer or decline, with reasons.

    ``valuation`` is a :class:`Collateral` or a ``ValuationResult`` (adapted by
    :func:`collateral_from_valuation`). ``concentration`` is the book at approval time with the
    borrower's existing exposure.
    """
    if isinstance(pd, bool) or not isinstance(pd, (int, float)) or not 0.0 <= pd <= 1.0:
        raise DomainError("pd", f"must be a number within [0, 1]; got {pd!r}")
    pd = float(pd)
    grade_effect = policy.grade_rules.effect(grade)
    coll = _as_collateral(valuation)
    flags: Sequence[FlagLike] = () if screening is None else tuple(screening.flags)
    product = policy.product(request.property_type)

    reasons, conditions = _flag_reasons(flags)

    if not coll.eligible:
        detail_zh = "；".join(zh for _, zh, _ in coll.ineligible_reasons)
        detail_en = "; ".join(en for _, _, en in coll.ineligible_reasons)
        reasons.append(Reason(
            "collateral_ineligible",
            "抵押物不符合抵押条件" + (f"：{detail_zh}" if detail_zh else ""),
            "the collateral cannot be mortgaged" + (f": {detail_en}" if detail_en else ""),
            DECLINE))

    cut = policy.pd_cutoffs
    if pd > cut.decline_above:
        reasons.append(Reason("pd_decline",
                              f"违约概率 {_pct(pd)} 高于否决线 {_pct(cut.decline_above)}",
                              f"PD {_pct(pd)} is above the decline cut-off "
                              f"{_pct(cut.decline_above)}", DECLINE))
    elif pd > cut.refer_above:
        reasons.append(Reason("pd_refer",
                              f"违约概率 {_pct(pd)} 高于提交上级线 {_pct(cut.refer_above)}",
                              f"PD {_pct(pd)} is above the refer cut-off "
                              f"{_pct(cut.refer_above)}", REFER))

    if grade_effect is DECLINE:
        reasons.append(Reason("grade_decline", f"信用等级 {grade} 属否决等级",
                              f"grade {grade} is a decline grade", DECLINE))
    elif grade_effect is REFER:
        reasons.append(Reason("grade_refer", f"信用等级 {grade} 须提交上级审批",
                              f"grade {grade} must be referred", REFER))
    elif grade_effect is AWC:
        reasons.append(Reason("grade_conditions", f"信用等级 {grade} 须附条件审批",
                              f"grade {grade} is approved with conditions only", AWC))
        conditions.append(Condition("grade_conditions",
                                    f"信用等级 {grade}：加强贷后检查（每季度至少一次）",
                                    f"grade {grade}: post-loan inspection at least quarterly"))

    term = request.term_months
    if term > product.max_term_months:
        term = product.max_term_months
        reasons.append(Reason("term_reduced",
                              f"申请期限 {request.term_months} 个月超过产品最长期限 {term} 个月",
                              f"the term of {request.term_months} months exceeds the product "
                              f"maximum of {term} months", AWC))
        conditions.append(Condition("reduce_term", f"贷款期限调整为 {term} 个月",
                                    f"shorten the term to {term} months"))

    rate = request.annual_rate
    if rate is None:
        rate = policy.lpr.rate + policy.affordability.assessment_rate_spread
    headroom = concentration_headroom(concentration, policy.concentration,
                                      property_type=request.property_type,
                                      new_amount=request.amount)
    limit = max_loan(collateral_max=coll.max_loan, monthly_income=affordability.monthly_income,
                     other_monthly_debt=affordability.other_monthly_debt,
                     monthly_property_fee=affordability.monthly_property_fee,
                     annual_rate=rate, term_months=term, method=request.method,
                     product=product, concentration=headroom, policy=policy)
    bind_zh, bind_en = CANDIDATE_LABELS[limit.binding]
    requested = request.amount
    if limit.amount < product.min_amount:
        reasons.append(Reason(
            "limit_below_minimum",
            f"最高可贷额 {_yuan(limit.amount)} 元低于产品最低金额 {_yuan(product.min_amount)} 元"
            f"（约束：{bind_zh}）",
            f"the maximum loan {_yuan(limit.amount)} is below the product minimum "
            f"{_yuan(product.min_amount)} (binding: {bind_en})", DECLINE))
    elif limit.amount < requested:
        shortfall = (requested - limit.amount) / requested
        tol = policy.amount.reduce_with_conditions_up_to
        if shortfall > tol:
            reasons.append(Reason(
                "amount_shortfall",
                f"申请金额 {_yuan(requested)} 元超过最高可贷额 {_yuan(limit.amount)} 元"
                f" {_pct(shortfall)}（约束：{bind_zh}），超过可调减幅度 {_pct(tol)}",
                f"the request {_yuan(requested)} exceeds the maximum loan "
                f"{_yuan(limit.amount)} by {_pct(shortfall)} (binding: {bind_en}), more than "
                f"the {_pct(tol)} that may be cut", REFER))
        else:
            reasons.append(Reason(
                "amount_reduced",
                f"申请金额 {_yuan(requested)} 元超过最高可贷额 {_yuan(limit.amount)} 元"
                f"（约束：{bind_zh}），调减至最高可贷额",
                f"the request {_yuan(requested)} exceeds the maximum loan "
                f"{_yuan(limit.amount)} (binding: {bind_en}); reduced to the limit", AWC))
            conditions.append(Condition("reduce_amount",
                                        f"贷款金额调减至 {_yuan(limit.amount)} 元",
                                        f"reduce the amount to {_yuan(limit.amount)}"))

    if not reasons:
        reasons.append(Reason("approve", "各项检查均通过", "all checks passed", A))
    recommendation = max((r.effect for r in reasons), key=lambda e: e.rank)

    proposed = min(requested, limit.amount)
    approved = Decimal(0) if recommendation is DECLINE else proposed
    ltv = proposed / coll.mortgage_value if coll.mortgage_value > 0 else None
    breakdown = price(pd=pd, lgd=coll.lgd, ltv=ltv, policy=policy)
    expected_loss = as_decimal(pd, "pd") * as_decimal(coll.lgd, "lgd") * proposed
    routing = route_explained(recommendation, requested + concentration.borrower_exposure,
                              grade, flags, policy)
    report = concentration_headroom(concentration, policy.concentration,
                                    property_type=request.property_type, new_amount=proposed)
    return Decision(
        recommendation=recommendation, reasons=tuple(reasons), conditions=tuple(conditions),
        limit=limit, requested_amount=requested, proposed_amount=proposed,
        approved_amount=approved, term_months=term, price=breakdown, pd=pd, lgd=coll.lgd,
        grade=grade, ltv=ltv, expected_loss=expected_loss, concentration=report,
        authority_level=routing.level, routing=routing,
        worst_flag_severity=worst_severity(flags),
        ruleset_version=None if screening is None else str(screening.ruleset_version),
        policy_version=policy.version)
