"""Anonymising the synthetic book for the case library.

Names become placeholders (学员案例-0001, numbered in the order borrowers enter the library),
resident ID numbers are replaced by synthetic ones in a training region code that no real or
book number uses (same birth date and sex, valid check digit; an invalid number stays
invalid), addresses are generalised to the township, certificate and contract numbers are
dropped.
"""

from __future__ import annotations

from datetime import date

from mortgage_risk.domain.resident_id import check_character


class Anonymiser:
    """Stable placeholders for one case library (same input order, same placeholders)."""

    def __init__(self, prefix: str, region_code: str, county: str) -> None:
        self._prefix = prefix
        self._region = region_code
        self._county = county
        self._names: dict[int, str] = {}
        self._ids: dict[int, str] = {}
        self._sequence = 0

    def name(self, borrower_id: int) -> str:
        """The borrower's placeholder name."""
        if borrower_id not in self._names:
            self._names[borrower_id] = f"{self._prefix}-{len(self._names) + 1:04d}"
        return self._names[borrower_id]

    def resident_id(self, borrower_id: int, birth_date: date, male: bool,
                    valid: bool = True) -> str:
        """A synthetic resident ID number with the borrower's birth date and sex."""
        if borrower_id not in self._ids:
            self._sequence += 1
            seq = (self._sequence * 2 + (1 if male else 0)) % 1000
            first17 = f"{self._region}{birth_date:%Y%m%d}{seq:03d}"
            check = check_character(first17)
            if not valid:
                check = "0" if check != "0" else "1"
            self._ids[borrower_id] = first17 + check
        return self._ids[borrower_id]

    def address(self, township: str) -> str:
        """The address generalised to the township."""
        return f"{self._county}{township}"

    def placeholder_of(self, borrower_id: int) -> str | None:
        """The placeholder already given to the borrower, if any."""
        return self._names.get(borrower_id)
