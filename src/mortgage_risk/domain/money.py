"""Money: an exact Decimal amount in CNY. Round only what is shown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Union

from mortgage_risk.domain.errors import DomainError

CENT = Decimal("0.01")
Number = Union[int, str, Decimal, "Money"]


def to_decimal(value: object, field: str = "amount") -> Decimal:
    """Convert an int, str or Decimal to Decimal; floats are refused (they are not exact)."""
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, bool) or isinstance(value, float):
        raise DomainError(field, "must be an exact decimal (string, int or Decimal), not a float")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise DomainError(field, f"{value!r} is not a number") from exc
    else:
        raise DomainError(field, f"{type(value).__name__} is not a number")
    if not result.is_finite():
        raise DomainError(field, "must be a finite number")
    return result


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount of Chinese yuan (CNY), kept exact."""

    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        if self.currency != "CNY":
            raise DomainError("currency", f"only CNY is supported, got {self.currency!r}")

    @classmethod
    def of(cls, value: object, field: str = "amount") -> Money:
        return cls(to_decimal(value, field))

    @classmethod
    def zero(cls) -> Money:
        return cls(Decimal(0))

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - other.amount)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money(self.amount * to_decimal(factor, "factor"))

    __rmul__ = __mul__

    def __truediv__(self, other: Money) -> Decimal:
        if other.amount == 0:
            raise DomainError("amount", "division by a zero amount")
        return self.amount / other.amount

    def __neg__(self) -> Money:
        return Money(-self.amount)

    def is_negative(self) -> bool:
        return self.amount < 0

    def rounded(self) -> Decimal:
        """The amount rounded to the fen (half up), for display and posting."""
        return self.amount.quantize(CENT, rounding=ROUND_HALF_UP)

    def __str__(self) -> str:
        return f"¥{self.rounded():,}"


def non_negative(value: object, field: str) -> Money:
    """Money from ``value``, refusing negatives with a message naming ``field``."""
    money = Money.of(value, field)
    if money.is_negative():
        raise DomainError(field, "must not be negative")
    return money
