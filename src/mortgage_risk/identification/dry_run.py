"""Dry run: how a draft rule set would change decisions on past applications.

Each application is screened under the current and the draft rule set; a ``decide`` callable
(the decision engine's, or :func:`default_decide`) turns each screening into a decision.
``decide`` must be a pure function of the screening: it is called once per distinct set of
fired rules, not once per application.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mortgage_risk.identification.rules import (
    RuleSet,
    Screening,
    Severity,
    screen,
    screen_frame,
)

Decide = Callable[[Screening], str]


def default_decide(screening: Screening) -> str:
    """``decline`` if any reject flag, ``refer`` if any refer flag, else ``approve``."""
    if screening.has(Severity.REJECT):
        return "decline"
    if screening.has(Severity.REFER):
        return "refer"
    return "approve"


@dataclass(frozen=True)
class DryRunRow:
    """One past application: its decision under each rule set and the rules that changed."""

    key: Hashable
    current_decision: str
    draft_decision: str
    newly_fired: tuple[str, ...]
    stopped_firing: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.current_decision != self.draft_decision


@dataclass(frozen=True)
class Transition:
    from_decision: str
    to_decision: str
    count: int


@dataclass(frozen=True)
class RuleDelta:
    """How often a rule fires under each set (0 where the set lacks or disables it)."""

    rule_id: str
    fired_current: int
    fired_draft: int


@dataclass(frozen=True)
class DryRunReport:
    current_version: str
    draft_version: str
    rows: tuple[DryRunRow, ...]
    transitions: tuple[Transition, ...]
    rule_deltas: tuple[RuleDelta, ...]

    @property
    def n_applications(self) -> int:
        return len(self.rows)

    @property
    def n_changed(self) -> int:
        return sum(r.changed for r in self.rows)

    def moved(self, from_decision: str, to_decision: str) -> int:
        """How many applications go from ``from_decision`` to ``to_decision``."""
        return next((t.count for t in self.transitions if t.from_decision == from_decision
                     and t.to_decision == to_decision), 0)

    def changed_rows(self) -> tuple[DryRunRow, ...]:
        return tuple(r for r in self.rows if r.changed)

    def rows_frame(self) -> pd.DataFrame:
        return pd.DataFrame({
            "key": [r.key for r in self.rows],
            "current_decision": [r.current_decision for r in self.rows],
            "draft_decision": [r.draft_decision for r in self.rows],
            "newly_fired": [list(r.newly_fired) for r in self.rows],
            "stopped_firing": [list(r.stopped_firing) for r in self.rows],
        })

    def to_dict(self, *, changed_only: bool = True) -> dict[str, Any]:
        rows = self.changed_rows() if changed_only else self.rows
        return {
            "current_version": self.current_version, "draft_version": self.draft_version,
            "n_applications": self.n_applications, "n_changed": self.n_changed,
            "transitions": [{"from": t.from_decision, "to": t.to_decision, "count": t.count}
                            for t in self.transitions],
            "rule_deltas": [{"rule_id": d.rule_id, "fired_current": d.fired_current,
                             "fired_draft": d.fired_draft} for d in self.rule_deltas],
            "rows": [{"key": r.key, "current_decision": r.current_decision,
                      "draft_decision": r.draft_decision, "newly_fired": list(r.newly_fired),
                      "stopped_firing": list(r.stopped_firing)} for r in rows],
        }


def _fired_sets(past: pd.DataFrame | Sequence[Mapping[str, Any]], ruleset: RuleSet,
                policy: Mapping[str, Any] | None) -> list[tuple[str, ...]]:
    if isinstance(past, pd.DataFrame):
        fired = screen_frame(past, ruleset, policy=policy)
        ids = np.asarray(fired.columns, dtype=object)
        matrix = fired.to_numpy(dtype=bool)
        return [tuple(ids[row]) for row in matrix]
    return [screen(facts, ruleset, policy=policy).fired for facts in past]


def dry_run(past: pd.DataFrame | Sequence[Mapping[str, Any]], current: RuleSet, draft: RuleSet,
            decide: Decide = default_decide, *,
            policy: Mapping[str, Any] | None = None) -> DryRunReport:
    """Screen ``past`` applications (a DataFrame, vectorised, or a sequence of fact mappings)
    under ``current`` and ``draft`` and compare the decisions ``decide`` makes."""
    keys: list[Hashable] = (list(past.index) if isinstance(past, pd.DataFrame)
                            else list(range(len(past))))
    before = _fired_sets(past, current, policy)
    after = _fired_sets(past, draft, policy)
    decisions: dict[tuple[str, tuple[str, ...]], str] = {}

    def decision_of(ruleset: RuleSet, fired: tuple[str, ...]) -> str:
        cache_key = (ruleset.version + "\0" + str(id(ruleset)), fired)
        if cache_key not in decisions:
            decisions[cache_key] = decide(
                Screening.of((ruleset.get(r) for r in fired), ruleset.version))
        return decisions[cache_key]

    rows = []
    for key, old, new in zip(keys, before, after, strict=True):
        old_set, new_set = set(old), set(new)
        rows.append(DryRunRow(key, decision_of(current, old), decision_of(draft, new),
                              tuple(r for r in new if r not in old_set),
                              tuple(r for r in old if r not in new_set)))
    moves = Counter((r.current_decision, r.draft_decision) for r in rows)
    transitions = tuple(Transition(a, b, n) for (a, b), n in sorted(moves.items()))
    count_old = Counter(r for fired in before for r in fired)
    count_new = Counter(r for fired in after for r in fired)
    order = list(dict.fromkeys([r.id for r in current.rules] + [r.id for r in draft.rules]))
    deltas = tuple(RuleDelta(r, count_old[r], count_new[r]) for r in order)
    return DryRunReport(current.version, draft.version, tuple(rows), transitions, deltas)
