"""Matching external records to borrowers (reference-regulation.md §5.2).

- A full resident ID number on the book: confidence ``resident_id``.
- A full resident ID number not on the book: unmatched, even when the name is a borrower's
  (same name, different person).
- No ID number (or one masked the way public court lists publish it), and exactly one borrower
  of that name (whose ID agrees with the visible digits of a masked one): confidence
  ``name_only``. The indicators cap a name-only match at a blue warning
  (:data:`NAME_ONLY_LEVEL_CAP`) until someone checks the ID number.
- No borrower, or several of that name: unmatched (kept, with a note, never dropped).

Feeds that forbid name matching (credit bureau data is queried by ID) only match by ID.
Names are compared after NFKC normalisation, without spaces, with one middle dot for
minority names (``阿卜杜·热合曼`` = ``阿卜杜•热合曼``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

from mortgage_risk.domain import MatchConfidence

#: ``match_confidence`` of a record matched to no borrower.
UNMATCHED: Final = "unmatched"
#: The highest warning level a name-only match may raise.
NAME_ONLY_LEVEL_CAP: Final = "blue"

_DOTS = re.compile(r"[·•・‧∙⋅．.]")
_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """The comparable form of a person's name."""
    text = unicodedata.normalize("NFKC", name)
    text = _SPACES.sub("", text)
    return _DOTS.sub("·", text)


@dataclass(frozen=True, slots=True)
class Match:
    """The borrower a record was matched to, if any, and how."""

    borrower_id: int | None
    confidence: MatchConfidence | None
    note: str = ""

    @property
    def matched(self) -> bool:
        return self.borrower_id is not None

    @property
    def confidence_value(self) -> str:
        """``resident_id``, ``name_only`` or ``unmatched`` (the stored column)."""
        return self.confidence.value if self.confidence is not None else UNMATCHED

    @property
    def level_cap(self) -> str | None:
        """The highest warning level this match may raise (``None``: no cap)."""
        return NAME_ONLY_LEVEL_CAP if self.confidence is MatchConfidence.NAME_ONLY else None


def _masked_agrees(masked: str, full: str) -> bool:
    return len(masked) == len(full) and all(m in ("*", f) for m, f in zip(masked, full,
                                                                          strict=True))


class BorrowerIndex:
    """Borrowers by resident ID number and by name, for matching many records."""

    def __init__(
        self,
        by_id: Mapping[str, int] | None = None,
        by_name: Mapping[str, int | Collection[int]] | None = None,
    ) -> None:
        self._by_id = {rid.strip().upper(): bid for rid, bid in (by_id or {}).items()}
        self._id_of = {bid: rid for rid, bid in self._by_id.items()}
        self._by_name: dict[str, set[int]] = {}
        for name, ids in (by_name or {}).items():
            bucket = self._by_name.setdefault(normalise_name(name), set())
            bucket.update([ids] if isinstance(ids, int) else ids)

    def match(self, *, name: str | None, resident_id: str | None,
              allow_name_only: bool = True) -> Match:
        """Match one record by its subject's resident ID (full or masked) and name."""
        rid = resident_id.strip().upper() if resident_id else None
        if rid and "*" not in rid:
            borrower = self._by_id.get(rid)
            if borrower is not None:
                return Match(borrower, MatchConfidence.RESIDENT_ID)
            return Match(None, None, "resident ID number is not a borrower's")
        if not allow_name_only:
            return Match(None, None, "this feed is matched by resident ID number only")
        if not name:
            return Match(None, None, "no name to match")
        candidates = sorted(self._by_name.get(normalise_name(name), ()))
        if rid:
            candidates = [b for b in candidates
                          if b not in self._id_of or _masked_agrees(rid, self._id_of[b])]
        if not candidates:
            return Match(None, None, "no borrower of that name"
                         + (" whose ID agrees with the masked number" if rid else ""))
        if len(candidates) > 1:
            shown = ", ".join(str(b) for b in candidates[:5])
            return Match(None, None, f"ambiguous: {len(candidates)} borrowers of that name "
                                     f"({shown})")
        note = ("name and masked ID number agree; check the full ID number" if rid
                else "name only; check the ID number")
        return Match(candidates[0], MatchConfidence.NAME_ONLY, note)


def match_borrower(
    *,
    name: str | None,
    resident_id: str | None,
    borrowers_by_id: Mapping[str, int],
    borrowers_by_name: Mapping[str, int | Collection[int]],
    allow_name_only: bool = True,
) -> Match:
    """Match one record (builds the index each call; use :class:`BorrowerIndex` for many)."""
    index = BorrowerIndex(borrowers_by_id, borrowers_by_name)
    return index.match(name=name, resident_id=resident_id, allow_name_only=allow_name_only)
