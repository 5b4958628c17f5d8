"""Maximum loan: each constraint binding in turn; affordability inverts the installment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mortgage_risk.control import (
    BookState,
    LoanLimit,
    affordable_principal,
    concentration_headroom,
    first_installment,
    max_loan,
)
from mortgage_risk.control.limits import dti_budget, round_limit
from mortgage_risk.domain import DomainError, RepaymentMethod
from mortgage_risk.domain.schedule import level_payment
from tests.control._support import BOOK, POLICY

EI = RepaymentMethod.EQUAL_INSTALLMENT
EP = RepaymentMethod.EQUAL_PRINCIPAL
IO = RepaymentMethod.INTEREST_ONLY_BULLET
PRODUCT = POLICY.product("urban_housing")


def limit_for(*, collateral: int, income: int, other: int = 0, book: BookState = BOOK,
              method: RepaymentMethod = EI, rate: str = "0.048", term: int = 240) -> LoanLimit:
    report = concentration_headroom(book, POLICY.concentration, property_type="urban_housing")
    return max_loan(collateral_max=Decimal(collateral), monthly_income=Decimal(income),
                    other_monthly_debt=Decimal(other), monthly_property_fee=Decimal(0),
                    annual_rate=Decimal(rate), term_months=term, method=method,
                    product=PRODUCT, concentration=report, policy=POLICY)


def test_affordable_principal_by_hand() -> None:
    # Budget 2,500 a month at 4.8% (0.4% a month) over 240 months.
    # Equal installment: 2500 × (1 − 1.004^−240) / 0.004 = 385,233.25 (to the fen, down).
    assert affordable_principal(Decimal(2500), Decimal("0.048"), 240, EI) == Decimal("385233.25")
    # Equal principal: 2500 / (1/240 + 0.004) = 306,122.44.
    assert affordable_principal(Decimal(2500), Decimal("0.048"), 240, EP) == Decimal("306122.44")
    # Interest only: 2500 / 0.004 = 625,000.
    assert affordable_principal(Decimal(2500), Decimal("0.048"), 240, IO) == Decimal("625000.00")
    assert affordable_principal(Decimal(2500), Decimal(0), 240, EI) == Decimal(600000)
    assert affordable_principal(Decimal(2500), Decimal(0), 240, IO) is None
    assert affordable_principal(Decimal(-5), Decimal("0.05"), 240, EI) == 0


def test_an_exact_fit_is_not_lost_to_decimal_noise() -> None:
    # 5,000.50 / (1/12 + 2.75%/12) = 5,000.50 × 12 / 1.0275 = 58,400 exactly; 2.75%/12 is a
    # repeating decimal, so the check installment comes out a hair above the budget.
    assert affordable_principal(Decimal("5000.50"), Decimal("0.0275"), 12, EP) == Decimal(58400)


def test_dti_budget_takes_the_tighter_cap() -> None:
    # Housing: 50% × 10,000 − 300 = 4,700; total: 55% × 10,000 − 300 − 1,000 = 4,200.
    b = dti_budget(Decimal(10000), Decimal(1000), Decimal(300), POLICY.affordability)
    assert (b.housing_budget, b.total_budget, b.budget, b.binding) == (
        Decimal("4700.00"), Decimal("4200.00"), Decimal("4200.00"), "total_dti")
    b = dti_budget(Decimal(10000), Decimal(0), Decimal(0), POLICY.affordability)
    assert b.binding == "housing_dti" and b.budget == Decimal(5000)
    assert dti_budget(Decimal(1000), Decimal(900), Decimal(0), POLICY.affordability).budget == 0


@given(budget=st.decimals(min_value=Decimal("100"), max_value=Decimal("50000"), places=2),
       rate_bp=st.integers(min_value=0, max_value=1500),
       term=st.integers(min_value=12, max_value=360),
       method=st.sampled_from(list(RepaymentMethod)))
@settings(max_examples=300, deadline=None)
def test_installment_of_affordable_principal_is_the_budget_within_a_fen(
        budget: Decimal, rate_bp: int, term: int, method: RepaymentMethod) -> None:
    rate = Decimal(rate_bp) / 10000
    principal = affordable_principal(budget, rate, term, method)
    if principal is None:
        assert method is IO and rate == 0
        return
    installment = first_installment(principal, rate, term, method)
    assert installment - budget <= Decimal("1e-12")  # only Decimal noise of the monthly rate
    assert budget - installment <= Decimal("0.01")
    if method is EI:  # the same annuity as the repayment schedules use
        assert installment == level_payment(principal, rate / 12, term)


def test_collateral_binds() -> None:
    lim = limit_for(collateral=200_000, income=20_000)
    assert lim.binding == "collateral" and lim.amount == Decimal(200_000)


def test_affordability_binds() -> None:
    lim = limit_for(collateral=2_000_000, income=5_000)
    assert lim.binding == "affordability"
    assert lim.candidate("affordability").amount == Decimal("385233.25")
    assert lim.amount == Decimal(385_200)  # rounded down to ¥100
    assert lim.dti.budget == Decimal(2500)


def test_product_maximum_binds() -> None:
    lim = limit_for(collateral=5_000_000, income=100_000)
    assert lim.binding == "product" and lim.amount == Decimal(3_000_000)


def test_concentration_binds() -> None:
    # Net capital 10 m: single borrower ≤ 1 m; existing exposure 900,000 → headroom 100,000.
    book = BookState(Decimal(1_000_000_000), Decimal(100_000_000), Decimal(50_000_000),
                     Decimal(10_000_000), borrower_exposure=Decimal(900_000))
    lim = limit_for(collateral=500_000, income=20_000, book=book)
    assert lim.binding == "concentration" and lim.amount == Decimal(100_000)
    codes = [c.code for c in lim.candidates]
    assert codes == ["collateral", "affordability", "product", "concentration"]


def test_tie_goes_to_the_first_candidate() -> None:
    lim = limit_for(collateral=3_000_000, income=100_000)
    assert lim.binding == "collateral"


def test_interest_only_at_zero_rate_has_no_affordability_bound() -> None:
    lim = limit_for(collateral=5_000_000, income=5_000, method=IO, rate="0")
    assert lim.candidate("affordability").amount is None
    assert lim.binding == "product"


def test_missing_valuation_cap_and_bad_rate_are_refused() -> None:
    with pytest.raises(DomainError) as err:
        max_loan(collateral_max=None, monthly_income=Decimal(1), other_monthly_debt=Decimal(0),
                 monthly_property_fee=Decimal(0), annual_rate=Decimal("0.04"), term_months=12,
                 method=EI, product=PRODUCT, concentration=None, policy=POLICY)
    assert err.value.field == "valuation.max_loan"
    with pytest.raises(DomainError) as err:
        first_installment(Decimal(1000), Decimal("0.30"), 12, EI)
    assert err.value.field == "annual_rate"


def test_round_limit() -> None:
    assert round_limit(Decimal("123456.78"), Decimal(100)) == Decimal(123400)
    assert round_limit(Decimal("-5"), Decimal(100)) == 0
