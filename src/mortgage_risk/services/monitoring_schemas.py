"""Validated input of the warning-handling and classification commands."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Level = Literal["blue", "yellow", "orange", "red"]
Category = Literal["normal", "special_mention", "substandard", "doubtful", "loss"]
VerifyMethod = Literal["phone", "on_site", "documents", "registry_check", "court_record"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VerifyIn(_In):
    """The loan officer's verification (核实) of a warning, with its evidence."""

    outcome: Literal["confirmed", "false_positive"]
    level: Level | None = None  # confirmed: the level found (default: the warning's)
    method: VerifyMethod
    evidence: list[str] = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=2000)

    @field_validator("evidence")
    @classmethod
    def _evidence_not_blank(cls, v: list[str]) -> list[str]:
        items = [e.strip() for e in v if e.strip()]
        if not items:
            raise ValueError("at least one piece of evidence is required")
        if any(len(e) > 500 for e in items):
            raise ValueError("each piece of evidence is at most 500 characters")
        return items

    @model_validator(mode="after")
    def _reason_for_false_positive(self) -> VerifyIn:
        if self.outcome == "false_positive" and len(self.note) < 4:
            raise ValueError("note: a false positive needs the reason (at least 4 characters)")
        if self.outcome == "false_positive" and self.level is not None:
            raise ValueError("level: only a confirmed warning has a verified level")
        return self


class MeasureIn(_In):
    code: str = Field(min_length=1, max_length=32)
    due_on: date | None = None  # default: the catalogue's working days from today
    note: str = Field(default="", max_length=2000)


class MeasureDoneIn(_In):
    done_on: date | None = None
    note: str = Field(min_length=2, max_length=2000)


class NoteIn(_In):
    note: str = Field(min_length=2, max_length=2000)


class CloseDecisionIn(_In):
    approve: bool
    note: str = Field(min_length=2, max_length=2000)


class ReassignIn(_In):
    user_id: int = Field(gt=0)


class ManualClassIn(_In):
    category: Category
    reason: str = Field(min_length=4, max_length=2000)


class UpgradeDecisionIn(_In):
    approve: bool
    note: str = Field(min_length=2, max_length=2000)


class ReviewDecisionIn(_In):
    """A classification review's outcome: keep the class, or downgrade it."""

    outcome: Literal["keep", "downgrade"]
    category: Category | None = None
    note: str = Field(min_length=4, max_length=2000)

    @model_validator(mode="after")
    def _category_for_downgrade(self) -> ReviewDecisionIn:
        if self.outcome == "downgrade" and self.category is None:
            raise ValueError("category: a downgrade needs the new class")
        if self.outcome == "keep" and self.category is not None:
            raise ValueError("category: only a downgrade names a class")
        return self


class RestructuringIn(_In):
    """A restructuring (重组) approved for a loan in financial difficulty."""

    restructure_date: date
    difficulty_resolved: bool = False
    note: str = Field(min_length=4, max_length=2000)
