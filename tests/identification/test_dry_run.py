"""Dry run of a draft rule set over past applications."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mortgage_risk.identification import (
    RuleSet,
    Screening,
    default_decide,
    default_ruleset,
    dry_run,
    screen,
)
from tests.identification.factsets import clean_facts


def _past() -> list[dict[str, Any]]:
    base = clean_facts()
    return [
        base,                                    # approve -> approve
        base | {"dti": 0.52},                    # refer (RC01) -> approve (draft cap 0.55)
        base | {"dti": 0.58},                    # refer -> refer
        base | {"seized": True},                 # decline -> decline
        base | {"lawsuits_pending": 2},          # approve (warn) -> refer (new rule)
        base | {"ltv": 0.85},                    # decline (CV02, over 80%) -> decline
        base | {"bureau_hard_inquiries_3m": 4},  # approve -> refer (draft threshold 4)
    ]


def _draft() -> RuleSet:
    data = default_ruleset().to_dict()
    data["version"] = "identification-rules-2026.2-draft"
    for rule in data["rules"]:
        if rule["id"] == "RC01":
            rule["condition"] = "dti > 0.55"
        if rule["id"] == "BC05":
            rule["condition"] = "bureau_hard_inquiries_3m >= 4"
    data["rules"].append({
        "id": "BC16", "category": "borrower_credit", "severity": "refer",
        "condition": "lawsuits_pending >= 2", "message_zh": "多起未结诉讼",
        "message_en": "two or more pending lawsuits", "basis": "draft"})
    return RuleSet.from_dict(data)


def test_default_decide() -> None:
    rules = default_ruleset()
    assert default_decide(screen(clean_facts(), rules)) == "approve"
    assert default_decide(screen(clean_facts() | {"dti": 0.6}, rules)) == "refer"
    assert default_decide(screen(clean_facts() | {"seized": True, "dti": 0.6}, rules)) == \
        "decline"


def test_dry_run_counts() -> None:
    report = dry_run(_past(), default_ruleset(), _draft())
    assert report.n_applications == 7
    assert report.n_changed == 3
    assert report.moved("refer", "approve") == 1
    assert report.moved("approve", "refer") == 2
    assert report.moved("approve", "approve") == 1
    assert report.moved("decline", "decline") == 2
    assert report.moved("refer", "refer") == 1
    assert sum(t.count for t in report.transitions) == 7
    rows = report.rows
    assert rows[1].stopped_firing == ("RC01",) and rows[1].newly_fired == ()
    assert rows[4].newly_fired == ("BC16",)
    assert rows[6].newly_fired == ("BC05",)
    deltas = {d.rule_id: (d.fired_current, d.fired_draft) for d in report.rule_deltas}
    assert deltas["RC01"] == (2, 1) and deltas["BC16"] == (0, 1) and deltas["BC05"] == (0, 1)
    summary = report.to_dict()
    assert summary["n_changed"] == 3 and len(summary["rows"]) == 3
    assert summary["draft_version"] == "identification-rules-2026.2-draft"


def test_dry_run_on_a_frame_matches_the_sequence() -> None:
    past = _past()
    frame = pd.DataFrame(past, index=[f"SQ{i}" for i in range(len(past))])
    by_rows = dry_run(past, default_ruleset(), _draft())
    by_frame = dry_run(frame, default_ruleset(), _draft())
    assert [r.key for r in by_frame.rows] == list(frame.index)
    assert by_frame.transitions == by_rows.transitions
    assert [(r.newly_fired, r.stopped_firing) for r in by_frame.rows] == \
        [(r.newly_fired, r.stopped_firing) for r in by_rows.rows]


def test_custom_decide_is_used() -> None:
    def strict(s: Screening) -> str:
        return "refer" if s.flags else "approve"

    report = dry_run(_past(), default_ruleset(), default_ruleset(), strict)
    assert report.n_changed == 0
    assert report.moved("refer", "refer") == 5
