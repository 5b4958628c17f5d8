"""The union's own balance-sheet figures the concentration limits are measured against.

The mortgage book lives in this system; the union's total loans (all products) and net
capital come from its general ledger and are kept here as a versioned parameter set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib.resources import files
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.domain.money import to_decimal


@dataclass(frozen=True)
class UnionFigures:
    version: str
    as_of: date
    all_loans: Decimal
    net_capital: Decimal
    notes: str = ""

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> UnionFigures:
        try:
            as_of = date.fromisoformat(str(raw["as_of"]))
        except KeyError:
            raise DomainError("as_of", "is required") from None
        except ValueError:
            raise DomainError("as_of", f"{raw['as_of']!r} is not a date") from None
        values = {}
        for name in ("all_loans", "net_capital"):
            if name not in raw:
                raise DomainError(name, "is required")
            values[name] = to_decimal(str(raw[name]), name)
            if values[name] <= 0:
                raise DomainError(name, f"must be above 0; got {values[name]}")
        return cls(str(raw.get("version", "")), as_of, values["all_loans"],
                   values["net_capital"], str(raw.get("notes", "")))

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "as_of": self.as_of.isoformat(),
                "all_loans": str(self.all_loans), "net_capital": str(self.net_capital),
                "notes": self.notes}

    @classmethod
    def load_default(cls) -> UnionFigures:
        text = (files("mortgage_risk.control") / "data" / "union-figures-default.json").read_text(
            encoding="utf-8")
        return cls.from_dict(json.loads(text))
