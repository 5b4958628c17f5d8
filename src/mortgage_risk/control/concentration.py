"""Concentration limits at approval: book shares and the single-borrower limit, with headroom.

Limits (reference-regulation.md 3.7 and 2, tier 4 = county rural cooperative):

- real-estate loans ≤ 17.5% of all loans;
- personal housing loans ≤ 12.5% of all loans;
- one borrower's exposure ≤ 10% of net capital.

A new loan ``a`` raises both the numerator and the denominator of a book share, so the headroom
of a share limit ``L`` on ``X`` out of all loans ``T`` is the largest ``a`` with
``(X + a) / (T + a) ≤ L``, i.e. ``a ≤ (L·T − X) / (1 − L)``. The single-borrower headroom is
``L · net capital − existing exposure``. Headrooms are floored at 0 and rounded down to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from mortgage_risk.control.policy import ConcentrationPolicy
from mortgage_risk.domain import DomainError
from mortgage_risk.domain.money import CENT, to_decimal


@dataclass(frozen=True)
class BookState:
    """The union's book at approval time and the borrower's existing exposure (CNY)."""

    all_loans: Decimal
    real_estate_loans: Decimal
    personal_housing_loans: Decimal
    net_capital: Decimal
    borrower_exposure: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name in ("all_loans", "real_estate_loans", "personal_housing_loans", "net_capital",
                     "borrower_exposure"):
            value = to_decimal(getattr(self, name), f"concentration.{name}")
            if value < 0:
                raise DomainError(f"concentration.{name}", f"must not be negative; got {value}")
            object.__setattr__(self, name, value)
        if self.real_estate_loans > self.all_loans:
            raise DomainError("concentration.real_estate_loans", "must not exceed all_loans")
        if self.personal_housing_loans > self.real_estate_loans:
            raise DomainError("concentration.personal_housing_loans",
                              "must not exceed real_estate_loans (housing loans are real-estate "
                              "loans)")
        if self.net_capital <= 0:
            raise DomainError("concentration.net_capital", "must be positive")


@dataclass(frozen=True)
class LimitCheck:
    """One limit: ratio before and after the new loan, headroom, breaches."""

    code: str
    zh: str
    en: str
    applies: bool
    limit: Decimal
    numerator: Decimal
    denominator: Decimal
    ratio_before: Decimal | None
    ratio_after: Decimal | None
    headroom: Decimal
    breached_before: bool
    breached_after: bool


@dataclass(frozen=True)
class ConcentrationReport:
    new_amount: Decimal
    property_type: str
    checks: tuple[LimitCheck, ...]
    headroom: Decimal
    binding: str

    @property
    def breaches(self) -> tuple[str, ...]:
        """Codes of the applicable limits breached after the new loan."""
        return tuple(c.code for c in self.checks if c.applies and c.breached_after)

    def to_dict(self) -> dict[str, Any]:
        def s(x: Decimal | None) -> str | None:
            return None if x is None else str(x)

        return {"new_amount": str(self.new_amount), "property_type": self.property_type,
                "headroom": str(self.headroom), "binding": self.binding,
                "breaches": list(self.breaches),
                "checks": [{"code": c.code, "zh": c.zh, "en": c.en, "applies": c.applies,
                            "limit": str(c.limit), "numerator": str(c.numerator),
                            "denominator": str(c.denominator),
                            "ratio_before": s(c.ratio_before), "ratio_after": s(c.ratio_after),
                            "headroom": str(c.headroom), "breached_before": c.breached_before,
                            "breached_after": c.breached_after} for c in self.checks]}


def _floor_fen(x: Decimal) -> Decimal:
    return max(x, Decimal(0)).quantize(CENT, rounding=ROUND_FLOOR)


def share_headroom(limit: Decimal, part: Decimal, total: Decimal) -> Decimal:
    """Largest ``a ≥ 0`` with ``(part + a) / (total + a) ≤ limit``."""
    if limit >= 1:
        raise DomainError("limit", "a share limit of 100% or more has no finite headroom")
    return _floor_fen((limit * total - part) / (1 - limit))


def _share_check(code: str, zh: str, en: str, applies: bool, limit: Decimal, part: Decimal,
                 total: Decimal, amount: Decimal) -> LimitCheck:
    added = amount if applies else Decimal(0)
    before = None if total == 0 else part / total
    after_total = total + amount
    after = None if after_total == 0 else (part + added) / after_total
    return LimitCheck(code, zh, en, applies, limit, part, total, before, after,
                      share_headroom(limit, part, total),
                      before is not None and before > limit,
                      after is not None and after > limit)


def concentration_headroom(state: BookState, policy: ConcentrationPolicy, *,
                           property_type: str, new_amount: Decimal | int | str = 0
                           ) -> ConcentrationReport:
    """Every limit with its ratio before and after ``new_amount`` and the overall headroom.

    The new loan is counted in the real-estate and personal-housing shares as the policy's
    classification of ``property_type`` says (it always adds to all loans and to the borrower's
    exposure). ``headroom`` is the least headroom of the limits that apply and ``binding`` names
    that limit.
    """
    amount = to_decimal(new_amount, "new_amount")
    if amount < 0:
        raise DomainError("new_amount", f"must not be negative; got {amount}")
    cls = policy.exposure_class(property_type)
    checks = [
        _share_check("real_estate_share", "房地产贷款占比", "real-estate loans / all loans",
                     cls.real_estate, policy.real_estate_max_share, state.real_estate_loans,
                     state.all_loans, amount),
        _share_check("personal_housing_share", "个人住房贷款占比",
                     "personal housing loans / all loans", cls.personal_housing,
                     policy.personal_housing_max_share, state.personal_housing_loans,
                     state.all_loans, amount),
    ]
    cap = policy.single_borrower_max_of_net_capital
    before = state.borrower_exposure / state.net_capital
    after = (state.borrower_exposure + amount) / state.net_capital
    checks.append(LimitCheck(
        "single_borrower", "单一客户贷款集中度", "single borrower / net capital", True, cap,
        state.borrower_exposure, state.net_capital, before, after,
        _floor_fen(cap * state.net_capital - state.borrower_exposure), before > cap, after > cap))
    applicable = [c for c in checks if c.applies]
    tightest = min(applicable, key=lambda c: c.headroom)
    return ConcentrationReport(amount, property_type, tuple(checks), tightest.headroom,
                               tightest.code)
