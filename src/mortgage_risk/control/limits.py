"""Maximum loan: the least of the collateral cap, affordability, product and concentration.

Candidates (each in CNY; ``None`` means the constraint does not bound the loan):

- ``collateral``: the valuation's ``max_loan`` = mortgage rate cap × mortgage value;
- ``affordability``: the principal whose *first* installment fits the DTI budget,
  ``min(housing cap × income − property fee, total cap × income − property fee − other debts)``,
  for the repayment method (the first installment is the largest for every method we offer);
- ``product``: the product's maximum amount for the property type;
- ``concentration``: the headroom under the book-share and single-borrower limits.

The limit is the least candidate rounded down to the policy's ``limit_rounding``; ``binding``
names the least candidate (the first in the order above on a tie).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

from mortgage_risk.control.concentration import ConcentrationReport
from mortgage_risk.control.policy import AffordabilityPolicy, CreditPolicy, ProductLimits
from mortgage_risk.domain import DomainError, RepaymentMethod
from mortgage_risk.domain.money import CENT, to_decimal
from mortgage_risk.domain.schedule import level_payment

_NOISE = Decimal("1e-12")  # yuan; Decimal rounding error of the monthly rate, not money
CANDIDATE_ORDER = ("collateral", "affordability", "product", "concentration")
CANDIDATE_LABELS: dict[str, tuple[str, str]] = {
    "collateral": ("抵押率上限 × 抵押价值", "mortgage rate cap × mortgage value"),
    "affordability": ("还款能力（月供收入比）", "affordability (debt-to-income)"),
    "product": ("产品最高金额", "product maximum amount"),
    "concentration": ("集中度余量", "concentration headroom"),
}


def _check_rate_term(annual_rate: Decimal, term_months: int) -> Decimal:
    rate = to_decimal(annual_rate, "annual_rate")
    if not 0 <= rate < Decimal("0.24"):
        raise DomainError("annual_rate", f"must be in [0, 24%); got {rate}")
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        raise DomainError("term_months", f"must be a whole number ≥ 1; got {term_months!r}")
    return rate / 12


def first_installment(principal: Decimal, annual_rate: Decimal, term_months: int,
                      method: RepaymentMethod) -> Decimal:
    """The first monthly payment (exact, unrounded) of a loan of ``principal``.

    Equal installment: the annuity; equal principal: ``P/n + P·r``; interest-only: ``P·r``.
    """
    r = _check_rate_term(annual_rate, term_months)
    p = to_decimal(principal, "principal")
    if method is RepaymentMethod.EQUAL_INSTALLMENT:
        return level_payment(p, r, term_months)
    if method is RepaymentMethod.EQUAL_PRINCIPAL:
        return p / term_months + p * r
    return p * r


def affordable_principal(budget: Decimal, annual_rate: Decimal, term_months: int,
                         method: RepaymentMethod) -> Decimal | None:
    """The largest principal (to the fen, rounded down) whose first installment ≤ ``budget``.

    The inverse of :func:`first_installment`. ``None`` when no principal is too large
    (interest-only at a zero rate).
    """
    r = _check_rate_term(annual_rate, term_months)
    b = to_decimal(budget, "budget")
    if b <= 0:
        return Decimal(0)
    n = term_months
    if method is RepaymentMethod.INTEREST_ONLY_BULLET and r == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        if method is RepaymentMethod.EQUAL_INSTALLMENT:
            if r == 0:
                principal = b * n
            else:
                growth = (1 + r) ** n
                principal = b * (growth - 1) / (r * growth)
        elif method is RepaymentMethod.EQUAL_PRINCIPAL:
            principal = b / (Decimal(1) / n + r)
        else:
            principal = b / r
        # The 28-digit monthly rate can leave an exact fit a hair under the fen it hits.
        principal = (principal + _NOISE).quantize(CENT, rounding=ROUND_FLOOR)
    # The monthly rate is a 28-digit Decimal, so an exact fit can come out a few units of
    # the 28th digit over the budget: only an excess above ``_NOISE`` (far below a fen)
    # steps the principal down.
    while principal > 0 and first_installment(principal, annual_rate, n, method) - b > _NOISE:
        principal -= CENT
    return principal


@dataclass(frozen=True)
class DtiBudget:
    """The monthly amount left for this loan's installment under each DTI cap."""

    monthly_income: Decimal
    housing_budget: Decimal  # housing cap × income − property fee
    total_budget: Decimal  # total cap × income − property fee − other debts
    budget: Decimal  # the smaller, not below 0
    binding: str  # "housing_dti" or "total_dti"


def dti_budget(monthly_income: Decimal, other_monthly_debt: Decimal,
               monthly_property_fee: Decimal, policy: AffordabilityPolicy) -> DtiBudget:
    housing = policy.housing_dti_cap * monthly_income - monthly_property_fee
    total = policy.total_dti_cap * monthly_income - monthly_property_fee - other_monthly_debt
    binding = "housing_dti" if housing <= total else "total_dti"
    return DtiBudget(monthly_income, housing, total, max(min(housing, total), Decimal(0)),
                     binding)


@dataclass(frozen=True)
class LimitCandidate:
    code: str
    zh: str
    en: str
    amount: Decimal | None


@dataclass(frozen=True)
class LoanLimit:
    """The maximum loan, the constraint that binds and every candidate."""

    amount: Decimal
    binding: str
    candidates: tuple[LimitCandidate, ...]
    unrounded: Decimal
    annual_rate: Decimal
    term_months: int
    method: RepaymentMethod
    dti: DtiBudget

    def candidate(self, code: str) -> LimitCandidate:
        return next(c for c in self.candidates if c.code == code)

    def to_dict(self) -> dict[str, Any]:
        d = self.dti
        return {
            "amount": str(self.amount), "binding": self.binding,
            "unrounded": str(self.unrounded),
            "candidates": [{"code": c.code, "zh": c.zh, "en": c.en,
                            "amount": None if c.amount is None else str(c.amount)}
                           for c in self.candidates],
            "annual_rate": str(self.annual_rate), "term_months": self.term_months,
            "method": self.method.value,
            "dti": {"monthly_income": str(d.monthly_income),
                    "housing_budget": str(d.housing_budget),
                    "total_budget": str(d.total_budget), "budget": str(d.budget),
                    "binding": d.binding},
        }


def round_limit(amount: Decimal, unit: Decimal) -> Decimal:
    """``amount`` rounded down to a multiple of ``unit`` (not below 0)."""
    if amount <= 0:
        return Decimal(0)
    return (amount / unit).to_integral_value(rounding=ROUND_FLOOR) * unit


def max_loan(*, collateral_max: Decimal | None, monthly_income: Decimal,
             other_monthly_debt: Decimal, monthly_property_fee: Decimal,
             annual_rate: Decimal, term_months: int, method: RepaymentMethod,
             product: ProductLimits, concentration: ConcentrationReport | None,
             policy: CreditPolicy) -> LoanLimit:
    """The least of the four candidates (see the module docstring)."""
    if collateral_max is None:
        raise DomainError("valuation.max_loan", "the valuation gives no maximum loan "
                                                "(cap × mortgage value)")
    dti = dti_budget(monthly_income, other_monthly_debt, monthly_property_fee,
                     policy.affordability)
    amounts: dict[str, Decimal | None] = {
        "collateral": collateral_max,
        "affordability": affordable_principal(dti.budget, annual_rate, term_months, method),
        "product": product.max_amount,
        "concentration": None if concentration is None else concentration.headroom,
    }
    candidates = tuple(LimitCandidate(code, *CANDIDATE_LABELS[code], amounts[code])
                       for code in CANDIDATE_ORDER)
    bounded = [c for c in candidates if c.amount is not None]
    least = min(bounded, key=lambda c: c.amount or Decimal(0))
    assert least.amount is not None
    return LoanLimit(round_limit(least.amount, policy.amount.limit_rounding), least.code,
                     candidates, least.amount, annual_rate, term_months, method, dti)
