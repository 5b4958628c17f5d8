"""Authority and maker-checker as pure policy.

- :func:`route` sends a case to the highest level any row of the authority matrix asks for:
  the tier covering the borrower's total exposure, the tier covering the grade, the level for
  the engine's recommendation, for each flag's severity, category and rule id.
- :func:`check_override`: a final decision against the engine's recommendation is an override.
  It needs written reasons and a decider at least ``override_steps`` levels above the routed
  one (the credit committee, the highest level, stays the committee).
- :func:`check_maker_checker`: whoever entered an application cannot review or approve it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from mortgage_risk.control.enums import AuthorityLevel, Recommendation, Severity
from mortgage_risk.control.inputs import FlagLike
from mortgage_risk.control.policy import CreditPolicy
from mortgage_risk.control.reasons import Reason
from mortgage_risk.domain import DomainError
from mortgage_risk.domain.money import to_decimal


class HasRecommendation(Protocol):
    @property
    def recommendation(self) -> Recommendation: ...


@dataclass(frozen=True)
class RoutingDriver:
    """One row of the matrix that asked for ``level``."""

    source: str  # amount, grade, recommendation, flag_severity, flag_category, rule_id
    value: str
    level: AuthorityLevel


@dataclass(frozen=True)
class Routing:
    level: AuthorityLevel
    drivers: tuple[RoutingDriver, ...]

    @property
    def binding(self) -> tuple[RoutingDriver, ...]:
        """The drivers that asked for the routed level."""
        return tuple(d for d in self.drivers if d.level is self.level)


def _recommendation(decision: Recommendation | HasRecommendation | str) -> Recommendation:
    if isinstance(decision, str):
        try:
            return Recommendation(decision)
        except ValueError:
            raise DomainError("recommendation", f"unknown recommendation {decision!r}") from None
    return decision.recommendation


def level_for_amount(amount: Decimal, policy: CreditPolicy) -> AuthorityLevel:
    """The lowest tier whose amount bound covers ``amount``."""
    for tier in policy.authority.tiers:
        if tier.max_amount is None or amount <= tier.max_amount:
            return tier.level
    return policy.authority.tiers[-1].level


def level_for_grade(grade: str, policy: CreditPolicy) -> AuthorityLevel:
    """The lowest tier allowed to approve ``grade``."""
    rank = policy.grade_rules.rank(grade)
    for tier in policy.authority.tiers:
        if tier.max_grade is None or rank <= policy.grade_rules.rank(tier.max_grade):
            return tier.level
    return policy.authority.tiers[-1].level


def route_explained(decision: Recommendation | HasRecommendation | str, amount: Decimal,
                    grade: str, flags: Sequence[FlagLike], policy: CreditPolicy) -> Routing:
    """The routed level and every row of the matrix that asked for a level."""
    total = to_decimal(amount, "amount")
    if total < 0:
        raise DomainError("amount", f"must not be negative; got {total}")
    matrix = policy.authority
    rec = _recommendation(decision)
    drivers = [RoutingDriver("amount", str(total), level_for_amount(total, policy)),
               RoutingDriver("grade", grade, level_for_grade(grade, policy)),
               RoutingDriver("recommendation", rec.value, matrix.by_recommendation[rec])]
    for f in flags:
        sev = Severity.parse(f.severity, f"flags.{f.rule_id}.severity")
        if sev in matrix.by_flag_severity:
            drivers.append(RoutingDriver("flag_severity", f"{f.rule_id}:{sev.value}",
                                         matrix.by_flag_severity[sev]))
        if f.category in matrix.by_flag_category:
            drivers.append(RoutingDriver("flag_category", f"{f.rule_id}:{f.category}",
                                         matrix.by_flag_category[f.category]))
        if f.rule_id in matrix.by_rule_id:
            drivers.append(RoutingDriver("rule_id", f.rule_id, matrix.by_rule_id[f.rule_id]))
    level = max((d.level for d in drivers), key=lambda lv: lv.rank)
    return Routing(level, tuple(drivers))


def route(decision: Recommendation | HasRecommendation | str, amount: Decimal, grade: str,
          flags: Sequence[FlagLike], policy: CreditPolicy) -> AuthorityLevel:
    """The authority level that must decide this case (see :func:`route_explained`).

    ``amount`` is the borrower's total exposure including this loan.
    """
    return route_explained(decision, amount, grade, flags, policy).level


# --------------------------------------------------------------------------- overrides

_FINAL = (Recommendation.APPROVE, Recommendation.APPROVE_WITH_CONDITIONS,
          Recommendation.REFER, Recommendation.DECLINE)


def is_override(recommendation: Recommendation, final_decision: Recommendation) -> bool:
    """Whether ``final_decision`` goes against the engine's ``recommendation``.

    Approving what the engine declines, dropping the conditions it asks for, and declining
    what it would approve are overrides; adding conditions to an approval is not. A referred
    case has no recommendation to go against: whatever the routed level decides stands.
    """
    if recommendation is Recommendation.REFER or final_decision is Recommendation.REFER:
        return False
    if recommendation is Recommendation.APPROVE:
        return final_decision is Recommendation.DECLINE
    if recommendation is Recommendation.APPROVE_WITH_CONDITIONS:
        return final_decision is not Recommendation.APPROVE_WITH_CONDITIONS
    return final_decision is not Recommendation.DECLINE


@dataclass(frozen=True)
class OverrideCheck:
    recommendation: Recommendation
    final_decision: Recommendation
    is_override: bool
    routed_level: AuthorityLevel
    required_level: AuthorityLevel
    has_reasons: bool
    decided_by: AuthorityLevel | None
    problems: tuple[Reason, ...]

    @property
    def allowed(self) -> bool:
        return not self.problems

    def raise_if_refused(self) -> None:
        """Raise :class:`DomainError` naming each problem (Chinese and English)."""
        if self.problems:
            raise DomainError("override", "; ".join(f"{p.en} ({p.zh})" for p in self.problems))


def _parse_rec(value: Recommendation | str, field: str) -> Recommendation:
    try:
        return Recommendation(value)
    except ValueError:
        allowed = ", ".join(r.value for r in _FINAL)
        raise DomainError(field, f"unknown decision {value!r}; allowed: {allowed}") from None


def check_override(recommendation: Recommendation | str, final_decision: Recommendation | str,
                   reasons_text: str | None, level: AuthorityLevel | str, *,
                   decided_by: AuthorityLevel | str | None = None,
                   policy: CreditPolicy | None = None) -> OverrideCheck:
    """Check a final decision against the engine's recommendation.

    ``level`` is the level the case was routed to. An override needs non-empty written
    reasons and a decider at ``required_level`` (``override_steps`` above ``level``, 1 by
    default) or higher; without ``decided_by`` only the reasons are checked and
    ``required_level`` tells who must sign.
    """
    rec = _parse_rec(recommendation, "recommendation")
    final = _parse_rec(final_decision, "final_decision")
    try:
        routed = AuthorityLevel(level)
        decider = None if decided_by is None else AuthorityLevel(decided_by)
    except ValueError as exc:
        raise DomainError("level", str(exc)) from None
    steps = 1 if policy is None else policy.authority.override_steps
    override = is_override(rec, final)
    required = routed.next_up(steps) if override else routed
    has_reasons = bool(reasons_text and reasons_text.strip())
    problems: list[Reason] = []
    if override and not has_reasons:
        problems.append(Reason(
            "override_reasons_missing",
            f"人工推翻审批结论（系统建议：{rec.label_zh}，最终：{final.label_zh}）须书面说明理由",
            f"an override ({rec.value} → {final.value}) needs written reasons",
            Recommendation.REFER))
    if decider is not None and decider.rank < required.rank:
        what = "an override" if override else "this case"
        problems.append(Reason(
            "authority_insufficient",
            f"审批权限不足：须{required.label_zh}审批，当前为{decider.label_zh}",
            f"{what} needs the {required.label_en}; decided by the {decider.label_en}",
            Recommendation.REFER))
    return OverrideCheck(rec, final, override, routed, required, has_reasons, decider,
                         tuple(problems))


# --------------------------------------------------------------------------- maker-checker

def _user(value: object, field: str) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise DomainError(field, f"must be a user id; got {value!r}")
    text = str(value).strip()
    if not text:
        raise DomainError(field, "is missing: every step needs the user who took it")
    return text.casefold()


def check_maker_checker(maker: str | int, checker: str | int, *, role: str = "reviewer"
                        ) -> None:
    """Refuse a review or approval by the user who entered the application (双人复核).

    ``role`` names the step in the message (reviewer or approver). User ids are compared
    after trimming and case folding.
    """
    m = _user(maker, "maker")
    c = _user(checker, role)
    if m == c:
        raise DomainError(role, f"user {str(checker).strip()!r} entered this application and "
                                f"cannot act as its {role} (maker-checker: 经办人不得复核或审批"
                                f"本人录入的申请)")
