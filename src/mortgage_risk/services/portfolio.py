"""The portfolio overview: loans, balance, overdue and NPL balance, by branch and type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from mortgage_risk.domain import FiveCategory, PropertyType
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.repositories import Breakdown
from mortgage_risk.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Line:
    key: str
    label_zh: str
    label_en: str
    loans: int
    balance: Decimal
    overdue_balance: Decimal
    npl_balance: Decimal

    @property
    def overdue_ratio(self) -> Decimal:
        return self.overdue_balance / self.balance if self.balance else Decimal(0)

    @property
    def npl_ratio(self) -> Decimal:
        return self.npl_balance / self.balance if self.balance else Decimal(0)


@dataclass(frozen=True)
class Overview:
    as_of: date | None
    scope_branch: str | None
    total: Line
    by_branch: list[Line]
    by_property_type: list[Line]
    by_category: list[Line]


def _line(b: Breakdown, zh: str, en: str) -> Line:
    return Line(b.key, zh, en, b.loans, b.balance, b.overdue_balance, b.npl_balance)


def _in_enum_order(lines: list[Line], enum_type: type[StrEnum]) -> None:
    order = [member.value for member in enum_type]
    lines.sort(key=lambda line: order.index(line.key))


def overview(uow: UnitOfWork, user: CurrentUser) -> Overview:
    """The book as this user may see it: the whole union, or only the user's branch."""
    scope = user.branch_scope()
    branches = {str(b.id): b for b in uow.branches.all()}
    total = uow.portfolio.totals(scope)
    by_branch = [
        _line(b, branches[b.key].name_zh, branches[b.key].name_en)
        for b in uow.portfolio.by_branch(scope)
    ]
    by_type = []
    for b in uow.portfolio.by_property_type(scope):
        ptype = PropertyType(b.key)
        by_type.append(_line(b, ptype.label_zh, ptype.label_en))
    by_category = []
    for b in uow.portfolio.by_category(scope):
        cat = FiveCategory(b.key)
        by_category.append(_line(b, cat.label_zh, cat.label_en))
    _in_enum_order(by_type, PropertyType)
    _in_enum_order(by_category, FiveCategory)
    scope_name = branches[str(scope)].name_zh if scope is not None else None
    return Overview(
        uow.portfolio.as_of(),
        scope_name,
        _line(total, "合计", "Total"),
        by_branch,
        by_type,
        by_category,
    )
