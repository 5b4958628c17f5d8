"""Shared inputs for the decision-engine tests: the default policy, a book and a base case."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from mortgage_risk.control import (
    Affordability,
    BookState,
    Collateral,
    CreditPolicy,
    Decision,
    Flag,
    LoanRequest,
    Screening,
    decide,
)
from mortgage_risk.domain import RepaymentMethod

POLICY = CreditPolicy.load_default()

# A county union: ¥1 bn of loans, 17% real estate, 12% personal housing, ¥100 m net capital.
BOOK = BookState(all_loans=Decimal(1_000_000_000), real_estate_loans=Decimal(170_000_000),
                 personal_housing_loans=Decimal(120_000_000), net_capital=Decimal(100_000_000))

# Market 1,000,000; mortgage value 900,000; cap 70% → max loan 630,000; LGD 15%.
COLLATERAL = Collateral(market_value=Decimal(1_000_000), mortgage_value=Decimal(900_000),
                        ltv=300_000 / 900_000, lgd=0.15, eligible=True,
                        max_loan=Decimal(630_000))
INCOME = Affordability(monthly_income=Decimal(20_000), other_monthly_debt=Decimal(1_000))
REQUEST = LoanRequest(amount=Decimal(300_000), term_months=240,
                      method=RepaymentMethod.EQUAL_INSTALLMENT,
                      property_type="urban_housing", annual_rate=Decimal("0.04"))


def flag(severity: str, rule_id: str = "R001", category: str = "borrower_credit") -> Flag:
    return Flag(rule_id, category, severity, f"规则{rule_id}触发", f"rule {rule_id} fired")


def base_decision(*, flags: tuple[Flag, ...] = (), pd: float = 0.01, grade: str = "B1",
                  collateral: Any = COLLATERAL, income: Affordability = INCOME,
                  policy: CreditPolicy = POLICY, book: BookState = BOOK,
                  **request_changes: Any) -> Decision:
    return decide(Screening(flags, "rules-test.1"), pd, grade, collateral, income,
                  replace(REQUEST, **request_changes), policy, book)


def policy_with(**sections: dict[str, Any]) -> CreditPolicy:
    """The default policy with some keys of some sections changed."""
    raw = POLICY.to_dict()
    for section, changes in sections.items():
        raw[section] = {**raw[section], **changes}
    return CreditPolicy.from_dict(raw)
