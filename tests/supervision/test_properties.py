"""Invariants: a file in order yields no finding; the vectorised path agrees with the scalar
one; samples never exceed n or the population; a loan file survives a JSON round trip."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mortgage_risk.control.enums import AuthorityLevel
from mortgage_risk.monitoring.policy import MonitoringPolicy, category_of
from mortgage_risk.supervision import (
    LoanFile,
    check_frame,
    facts_frame,
    random_sample,
    risk_sample,
    run_checks,
)
from tests.supervision.files import clean_file
from tests.supervision.test_checks import CASES
from tests.supervision.test_sampling import population

RULES = MonitoringPolicy.load_default().classification
STAFF = ("li.wei", "zhao.min", "wang.fang", "chen.jie", "sun.li", "zhou.qiang")
LEVELS = tuple(AuthorityLevel)


def _at(day: date, hour: int = 10) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00+08:00"


@st.composite
def files_in_order(draw: st.DrawFn) -> tuple[LoanFile, date]:
    """A disbursed loan whose file keeps every default check, with dates, people, levels,
    arrears and warnings drawn at random."""
    submitted = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    visit = submitted + timedelta(days=draw(st.integers(0, 5)))
    approved = visit + timedelta(days=draw(st.integers(1, 10)))
    valued = approved - timedelta(days=draw(st.integers(0, 365)))
    signed = approved + timedelta(days=draw(st.integers(0, 10)))
    registered = signed + timedelta(days=draw(st.integers(0, 10)))
    paid = registered + timedelta(days=draw(st.integers(0, 10)))
    as_of = paid + timedelta(days=draw(st.integers(0, 600)))
    maker, reviewer, approver = draw(st.permutations(STAFF))[:3]
    routed = draw(st.sampled_from(LEVELS))
    override = draw(st.booleans())
    need = routed.next_up() if override else routed
    held = draw(st.sampled_from([lv for lv in LEVELS if lv.rank >= need.rank]))
    dpd = draw(st.integers(0, min(500, (as_of - paid).days)))
    floor = RULES.floor_for(dpd).value
    category = category_of(draw(st.integers(
        ["normal", "special_mention", "substandard", "doubtful", "loss"].index(floor), 4)))
    warnings = []
    for i in range(draw(st.integers(0, 3))):
        opened = paid + timedelta(days=draw(st.integers(0, max(0, (as_of - paid).days))))
        deadline = opened + timedelta(days=draw(st.integers(0, 7)))
        verified = opened + timedelta(days=draw(st.integers(0, (deadline - opened).days)))
        done = verified <= as_of
        warnings.append({"id": i + 1, "level": draw(st.sampled_from(["yellow", "orange",
                                                                    "red"])),
                         "opened_on": opened.isoformat(), "deadline": deadline.isoformat(),
                         "verified_on": verified.isoformat() if done else None,
                         "status": "confirmed" if done else "open",
                         "assigned_to": maker})
    data = clean_file(draw(st.integers(1, 10**6)), officer=maker)
    data["application"]["submitted_on"] = submitted.isoformat()
    data["events"] = [
        {"step": "submit", "actor": maker, "at": _at(submitted)},
        {"step": "record_visit", "actor": maker, "at": _at(visit)},
        {"step": "review", "actor": reviewer, "at": _at(approved, 9)},
        {"step": "approve", "actor": approver, "at": _at(approved, 15)},
        {"step": "disburse", "actor": maker, "at": _at(paid)}]
    data["visits"] = [{"visited_on": visit.isoformat(), "officer": maker}]
    data["assessments"] = [{"created_at": _at(visit, 18), "authority_level": routed.value,
                            "recommendation": draw(st.sampled_from(
                                ["approve", "approve_with_conditions", "refer"]))}]
    data["decisions"] = [{"stage": "approval", "decision": "approve", "decided_by": approver,
                          "decider_role": "approver", "decider_level": held.value,
                          "authority_level": need.value, "override": override,
                          "reasons": "追加保证人" if override else "", "at": _at(approved, 15)}]
    data["valuation_dates"] = [valued.isoformat()]
    data["contract_signed_on"] = signed.isoformat()
    data["registered_on"] = registered.isoformat()
    data["disbursed_on"] = paid.isoformat()
    data["loan"] = {"id": 1, "days_past_due": dpd, "five_category": category.value,
                    "status": "active", "origination_date": paid.isoformat(),
                    "first_missed_due_on": (as_of - timedelta(days=dpd)).isoformat()
                    if dpd else None}
    data["warnings"] = warnings
    return LoanFile.from_dict(data), as_of


@settings(max_examples=100, deadline=None)
@given(files_in_order())
def test_a_file_in_order_yields_no_finding(case: tuple[LoanFile, date]) -> None:
    file, as_of = case
    assert run_checks([file], as_of=as_of) == []
    assert not check_frame(facts_frame([file], as_of=as_of)).to_numpy().any()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(CASES) - 1), st.booleans()), min_size=1,
                max_size=6))
def test_vectorised_checks_agree_with_run_checks(picks: list[tuple[int, bool]]) -> None:
    from tests.supervision.files import edited

    files = []
    for i, (case, failing) in enumerate(picks):
        _, passing_edits, failing_edits = CASES[case]
        files.append(edited(*(failing_edits if failing else passing_edits), file_id=i + 1))
    as_of = date(2026, 6, 30)
    frame = check_frame(facts_frame(files, as_of=as_of))
    found: dict[int, set[str]] = {f.file_id: set() for f in files}
    for d in run_checks(files, as_of=as_of):
        assert d.file_id is not None
        found[d.file_id].add(d.check_id)
    for row, file in enumerate(files):
        assert {c for c in frame.columns if frame.iloc[row][c]} == found[file.file_id]


@given(st.sets(st.integers(0, 10**6), max_size=60), st.integers(0, 80), st.integers(0, 2**32))
def test_random_sample_never_exceeds_n_or_the_population(ids: set[int], n: int,
                                                         seed: int) -> None:
    sample = [s.file_id for s in random_sample(ids, n, seed)]
    assert len(sample) == min(n, len(ids))
    assert len(set(sample)) == len(sample) and set(sample) <= ids
    assert sample == [s.file_id for s in random_sample(sorted(ids, reverse=True), n, seed)]


@settings(deadline=None)
@given(st.integers(0, 50), st.integers(0, 60), st.integers(0, 2**32),
       st.lists(st.booleans(), min_size=50, max_size=50))
def test_risk_sample_never_exceeds_n_or_the_population(size: int, n: int, seed: int,
                                                       overrides: list[bool]) -> None:
    frame = population(size)
    frame["override"] = overrides[:size]
    sample = risk_sample(frame, n, seed)
    picked = [s.file_id for s in sample]
    assert len(picked) == min(n, size) and len(set(picked)) == len(picked)
    assert set(picked) <= set(frame["file_id"])
    assert all(s.reasons == (("override",) if overrides[s.file_id - 1] else ("random",))
               for s in sample)


@settings(max_examples=50, deadline=None)
@given(files_in_order())
def test_loan_file_json_round_trip(case: tuple[LoanFile, date]) -> None:
    file, _ = case
    data: Any = json.loads(json.dumps(file.to_dict(), ensure_ascii=False))
    assert LoanFile.from_dict(data) == file
