"""Repayment schedules: equal installment, equal principal, interest-only with bullet.

Amounts are exact Decimals; each period's interest and principal are rounded to the fen
(they are posted), and the last period takes the remainder so the principal sums exactly.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from mortgage_risk.domain.entities import Loan, ScheduleLine
from mortgage_risk.domain.enums import RepaymentMethod
from mortgage_risk.domain.money import CENT, Money


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _fen(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def level_payment(principal: Decimal, monthly_rate: Decimal, n: int) -> Decimal:
    """The equal monthly installment (annuity) for ``principal`` over ``n`` months."""
    if monthly_rate == 0:
        return principal / n
    growth = (1 + monthly_rate) ** n
    return principal * monthly_rate * growth / (growth - 1)


def build_schedule(loan: Loan) -> list[ScheduleLine]:
    """The full schedule of ``loan`` from its origination date, one line a month."""
    rate = loan.monthly_rate
    n = loan.term_months
    balance = loan.principal.amount
    installment = _fen(level_payment(balance, rate, n))
    lines: list[ScheduleLine] = []
    for k in range(1, n + 1):
        interest = _fen(balance * rate)
        if k == n:
            principal = balance
        elif loan.repayment_method is RepaymentMethod.EQUAL_INSTALLMENT:
            principal = min(balance, installment - interest)
        elif loan.repayment_method is RepaymentMethod.EQUAL_PRINCIPAL:
            principal = min(balance, _fen(loan.principal.amount / n))
        else:
            principal = Decimal(0)
        balance -= principal
        lines.append(
            ScheduleLine(
                period_no=k,
                due_date=add_months(loan.origination_date, k),
                principal_due=Money(principal),
                interest_due=Money(interest),
                balance_after=Money(balance),
            )
        )
    return lines
