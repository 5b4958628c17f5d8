"""Warning handling (预警处置): deadlines in working days, escalation, closing authority, the
classification review and the measures catalogue; pure rules, the numbers in
``data/warning-handling-default.json``.

A warning case moves through four states::

    open ──verify: confirmed──▶ confirmed ──request close──▶ close_requested ──approve──▶ closed
      └──verify: false positive──────────────────────────────▶ close_requested
                                 close_requested ──reject──▶ back to where it came from

The loan officer verifies by the deadline (red 1, orange 3, yellow 5 working days; blue has none
and waits for the next routine check). A case still unverified after its deadline escalates one
step per working day late, to the branch reviewer and then to the union's risk department.
Closing needs a reviewer who neither verified nor asked to close it; a red warning only the
risk department may close.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Final

from mortgage_risk.domain import DomainError
from mortgage_risk.domain.param_data import (
    as_object,
    collect_sources,
    entries,
    iso_date,
    packaged_json,
    policy_error,
    required,
    text,
    whole,
)

LEVELS: Final = ("blue", "yellow", "orange", "red")
DEFAULT_RESOURCE: Final = "warning-handling-default.json"


def level_rank(level: str) -> int:
    """blue 1 … red 4 (as the monitoring run's ``level_rank``)."""
    try:
        return LEVELS.index(level) + 1
    except ValueError:
        raise DomainError("level", f"must be one of {', '.join(LEVELS)}; got {level!r}") from None


class CaseStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    CLOSE_REQUESTED = "close_requested"
    CLOSED = "closed"


class CaseAction(StrEnum):
    VERIFY_CONFIRMED = "verify_confirmed"
    VERIFY_FALSE_POSITIVE = "verify_false_positive"
    REQUEST_CLOSE = "request_close"
    APPROVE_CLOSE = "approve_close"
    REJECT_CLOSE = "reject_close"


_TRANSITIONS: Final[Mapping[tuple[CaseStatus, CaseAction], CaseStatus]] = {
    (CaseStatus.OPEN, CaseAction.VERIFY_CONFIRMED): CaseStatus.CONFIRMED,
    (CaseStatus.OPEN, CaseAction.VERIFY_FALSE_POSITIVE): CaseStatus.CLOSE_REQUESTED,
    (CaseStatus.CONFIRMED, CaseAction.REQUEST_CLOSE): CaseStatus.CLOSE_REQUESTED,
    (CaseStatus.CLOSE_REQUESTED, CaseAction.APPROVE_CLOSE): CaseStatus.CLOSED,
}


def next_status(status: CaseStatus, action: CaseAction, *, false_positive: bool = False
                ) -> CaseStatus:
    """The state after ``action``; a rejected close goes back to open (false positive) or
    confirmed. Anything else is refused with the reason."""
    if action is CaseAction.REJECT_CLOSE and status is CaseStatus.CLOSE_REQUESTED:
        return CaseStatus.OPEN if false_positive else CaseStatus.CONFIRMED
    try:
        return _TRANSITIONS[(status, action)]
    except KeyError:
        raise DomainError("status", f"cannot {action.value} a warning that is "
                                    f"{status.value}") from None


@dataclass(frozen=True)
class WorkingCalendar:
    """Monday to Friday, minus public holidays, plus make-up working days (调休)."""

    holidays: frozenset[date] = frozenset()
    make_up_workdays: frozenset[date] = frozenset()
    years: tuple[int, ...] = ()

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def covers(self, day: date) -> bool:
        """Whether the holiday notice for ``day``'s year is in the calendar."""
        return day.year in self.years

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
        if days < 0:
            raise DomainError("days", f"must not be negative; got {days}")
        day = start
        left = days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_after(self, deadline: date, today: date) -> int:
        """Working days in (deadline, today]: how many working days late ``today`` is."""
        if today <= deadline:
            return 0
        count = 0
        day = deadline
        while day < today:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


@dataclass(frozen=True)
class EscalationStep:
    after_working_days: int
    to: str
    zh: str
    en: str


@dataclass(frozen=True)
class Measure:
    code: str
    zh: str
    en: str
    levels: tuple[str, ...]
    due_working_days: int


@dataclass(frozen=True)
class HandlingPolicy:
    """Every parameter of warning handling, with its version."""

    version: str
    effective_date: date
    deadlines: Mapping[str, int | None]
    escalation: tuple[EscalationStep, ...]
    reviewer_roles: frozenset[str]
    red_roles: frozenset[str]
    review_levels: frozenset[str]
    review_within_working_days: int
    review_decider_roles: frozenset[str]
    measures: Mapping[str, Measure]
    calendar: WorkingCalendar
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def load_default(cls) -> HandlingPolicy:
        return cls.from_dict(packaged_json("mortgage_risk.monitoring", DEFAULT_RESOURCE))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HandlingPolicy:
        as_object(raw, "")
        sources: dict[str, str] = {}
        collect_sources(raw, "", sources)
        effective = iso_date(required(raw, "effective_date", ""), "effective_date")
        deadlines: dict[str, int | None] = {}
        for level, days in entries(required(raw, "deadlines", ""), "deadlines"):
            level_rank(level)
            deadlines[level] = None if days is None else whole(days, f"deadlines.{level}",
                                                               low=0)
        if set(deadlines) != set(LEVELS):
            raise policy_error("deadlines", f"must give every level: {', '.join(LEVELS)}")
        steps = tuple(
            EscalationStep(whole(required(s, "after_working_days", f"escalation.steps.{i}"),
                                 f"escalation.steps.{i}.after_working_days", low=1),
                           text(required(s, "to", f"escalation.steps.{i}"),
                                f"escalation.steps.{i}.to"),
                           text(s.get("zh"), f"escalation.steps.{i}.zh"),
                           text(s.get("en"), f"escalation.steps.{i}.en"))
            for i, s in enumerate(_list(required(required(raw, "escalation", ""), "steps",
                                                 "escalation"), "escalation.steps")))
        if [s.after_working_days for s in steps] != sorted({s.after_working_days
                                                           for s in steps}):
            raise policy_error("escalation.steps", "must be in increasing after_working_days")
        closing = required(raw, "closing", "")
        review = required(raw, "classification_review", "")
        measures = {}
        for code, m in entries(required(raw, "measures", ""), "measures"):
            path = f"measures.{code}"
            levels = tuple(_strs(required(m, "levels", path), f"{path}.levels"))
            for level in levels:
                level_rank(level)
            measures[code] = Measure(code, text(m.get("zh"), f"{path}.zh"),
                                     text(m.get("en"), f"{path}.en"), levels,
                                     whole(required(m, "due_working_days", path),
                                           f"{path}.due_working_days", low=0))
        cal = required(raw, "calendar", "")
        return cls(
            version=text(required(raw, "version", ""), "version"),
            effective_date=effective,
            deadlines=deadlines,
            escalation=steps,
            reviewer_roles=frozenset(_strs(required(closing, "reviewer_roles", "closing"),
                                           "closing.reviewer_roles")),
            red_roles=frozenset(_strs(required(closing, "red_roles", "closing"),
                                      "closing.red_roles")),
            review_levels=frozenset(_strs(required(review, "levels", "classification_review"),
                                          "classification_review.levels")),
            review_within_working_days=whole(
                required(review, "within_working_days", "classification_review"),
                "classification_review.within_working_days", low=0),
            review_decider_roles=frozenset(_strs(
                required(review, "decider_roles", "classification_review"),
                "classification_review.decider_roles")),
            measures=measures,
            calendar=WorkingCalendar(
                frozenset(_dates(required(cal, "holidays", "calendar"), "calendar.holidays")),
                frozenset(_dates(required(cal, "make_up_workdays", "calendar"),
                                 "calendar.make_up_workdays")),
                tuple(whole(y, "calendar.years", low=1900)
                      for y in _list(required(cal, "years", "calendar"), "calendar.years"))),
            sources=sources,
        )

    # ------------------------------------------------------------------ rules

    def deadline(self, level: str, opened_on: date) -> date | None:
        """The verification deadline of a warning of ``level`` raised on ``opened_on``."""
        days = self.deadlines[_level(level)]
        return None if days is None else self.calendar.add_working_days(opened_on, days)

    def raised_deadline(self, current: date | None, level: str, on: date) -> date | None:
        """The deadline after the level is raised on ``on``: the earlier of the two."""
        new = self.deadline(level, on)
        if current is None or new is None:
            return new if current is None else current
        return min(current, new)

    def escalation_due(self, deadline: date | None, today: date) -> int:
        """How many escalation steps an unverified case with ``deadline`` has reached."""
        if deadline is None:
            return 0
        late = self.calendar.working_days_after(deadline, today)
        return sum(1 for s in self.escalation if late >= s.after_working_days)

    def may_close(self, role: str, level: str) -> bool:
        """Whether ``role`` may approve closing a warning of ``level`` (red: risk dept only)."""
        roles = self.red_roles if _level(level) == "red" else self.reviewer_roles
        return role in roles

    def opens_review(self, level: str) -> bool:
        return _level(level) in self.review_levels

    def review_due(self, confirmed_on: date) -> date:
        return self.calendar.add_working_days(confirmed_on, self.review_within_working_days)

    def measures_for(self, level: str) -> list[Measure]:
        lv = _level(level)
        return [m for m in self.measures.values() if lv in m.levels]

    def measure(self, code: str, level: str) -> Measure:
        m = self.measures.get(code)
        if m is None:
            raise DomainError("measure", f"unknown measure {code!r}; one of "
                                         f"{', '.join(self.measures)}")
        if _level(level) not in m.levels:
            raise DomainError("measure", f"{code!r} is not a measure for a {level} warning")
        return m


def _level(level: str) -> str:
    level_rank(level)
    return level


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise policy_error(path, f"must be a list; got {type(value).__name__}")
    return value


def _strs(value: Any, path: str) -> Iterable[str]:
    return [text(v, path) for v in _list(value, path)]


def _dates(value: Any, path: str) -> Iterable[date]:
    return [iso_date(v, path) for v in _list(value, path)]
