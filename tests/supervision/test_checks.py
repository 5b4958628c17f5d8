"""Compliance checks: the default set, one passing and one failing file per check, the
responsible staff member, the vectorised path, editing and validating a check set."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mortgage_risk.identification import RuleSetError
from mortgage_risk.supervision import (
    CheckSet,
    FindingSeverity,
    LoanFile,
    ResponsibleRole,
    check_frame,
    default_checkset,
    facts_frame,
    file_facts,
    run_checks,
)
from tests.supervision.files import (
    AS_OF,
    OVERRIDE_OK,
    Edit,
    add_review_decision,
    clean_file,
    decision,
    edited,
    loan,
    recommendation,
    setting,
    step_actor,
    warning,
)


def fired(file: LoanFile) -> set[str]:
    return {d.check_id for d in run_checks([file], as_of=AS_OF)}


def test_default_set_is_versioned_valid_and_complete() -> None:
    cs = default_checkset()
    assert cs.version == "supervision-checks-2026.1"
    assert cs.validate() == []
    assert all(c.regulation and c.title_zh and c.title_en for c in cs.checks)
    assert cs.get("SC13").severity is FindingSeverity.CRITICAL
    assert cs.get("SC13").scope == "audit_chain"
    assert dict(cs.rectification.working_days) == {
        FindingSeverity.CRITICAL: 5, FindingSeverity.HIGH: 10, FindingSeverity.MEDIUM: 20,
        FindingSeverity.LOW: 30}


def test_clean_file_passes_every_check() -> None:
    assert run_checks([edited()], as_of=AS_OF) == []


# check id, an edit the file still passes with (a near miss), an edit that breaks only it
CASES: list[tuple[str, list[Edit], list[Edit]]] = [
    ("SC01", [decision(decider_level="credit_committee")],
     [decision(decider_level="branch_officer")]),
    ("SC01", [decision(authority_level=None)],  # required level from the routed assessment
     [decision(authority_level=None, decider_level="branch_officer")]),
    ("SC02", [step_actor("disburse", "li.wei")], [step_actor("review", "Li.Wei")]),
    ("SC02", [add_review_decision("zhao.min")], [decision(decided_by="li.wei"),
                                                 step_actor("approve", "li.wei")]),
    ("SC03", [add_review_decision("zhao.min")], [decision(decided_by="zhao.min"),
                                                 step_actor("approve", "zhao.min")]),
    ("SC04", [setting("valuation_dates", ["2025-01-12"])],  # 365 days before approval
     [setting("valuation_dates", ["2025-01-11"])]),
    ("SC04", [setting("valuation_dates", ["2024-06-01", "2026-01-12"])],
     [setting("valuation_dates", ["2026-01-13"])]),  # only a valuation after approval
    ("SC05", [setting("visits", [{"visited_on": "2026-01-12", "officer": "li.wei"}])],
     [setting("visits", [{"visited_on": "2026-01-13", "officer": "li.wei"}])]),
    ("SC05", [], [setting("visits", [])]),
    ("SC06", [setting("registered_on", "2026-01-22")], [setting("registered_on", "2026-01-23")]),
    ("SC06", [], [setting("registered_on", None)]),
    ("SC07", [setting("contract_signed_on", "2026-01-12")],
     [setting("contract_signed_on", "2026-01-11")]),
    ("SC08", [loan(days_past_due=5)],  # a technical delay stays normal
     [loan(days_past_due=45)]),
    ("SC08", [loan(days_past_due=95, five_category="substandard")],
     [loan(days_past_due=95, five_category="special_mention")]),
    ("SC08", [loan(status="written_off", five_category="loss", days_past_due=400)],
     [loan(status="written_off", five_category="doubtful", days_past_due=300)]),
    ("SC09", [warning(verified_on="2026-03-09")], [warning(verified_on="2026-03-10")]),
    ("SC09", [warning(level="blue", deadline=None, verified_on=None, status="open",
                      closed_on=None, closed_by=None)],
     [warning(deadline="2026-06-29", verified_on=None, status="open", closed_on=None,
              closed_by=None)]),
    ("SC10", [OVERRIDE_OK], [OVERRIDE_OK, decision(reasons="  ")]),
    ("SC11", [OVERRIDE_OK], [OVERRIDE_OK, decision(decider_level="branch_head",
                                                   decider_role="approver")]),
    ("SC12", [recommendation("decline"), OVERRIDE_OK],
     [recommendation("decline"), OVERRIDE_OK, decision(override=False)]),
    ("SC12", [recommendation("refer")],  # a referred case has nothing to go against
     [recommendation("approve"), decision(decision="decline", reasons="收入不实",
                                          decider_level="credit_committee")]),
]


@pytest.mark.parametrize(("check_id", "passing", "failing"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check_has_a_passing_and_a_failing_file(check_id: str, passing: list[Edit],
                                                     failing: list[Edit]) -> None:
    assert fired(edited(*passing)) == set()
    assert fired(edited(*failing)) == {check_id}


def test_every_loan_file_check_of_the_default_set_is_tested() -> None:
    cs = default_checkset()
    assert {c for c, _, _ in CASES} == {c.id for c in cs.enabled("loan_file")}


RESPONSIBLE: list[tuple[str, list[Edit], str, ResponsibleRole]] = [
    ("SC01", [decision(decider_level="branch_officer")], "wang.fang", ResponsibleRole.APPROVER),
    ("SC02", [step_actor("review", "Li.Wei")], "Li.Wei", ResponsibleRole.CHECKER),
    ("SC04", [setting("valuation_dates", [])], "li.wei", ResponsibleRole.LOAN_OFFICER),
    ("SC06", [setting("registered_on", None), step_actor("disburse", "chen.jie")], "chen.jie",
     ResponsibleRole.DISBURSER),
    ("SC09", [warning(verified_on="2026-03-10", assigned_to="sun.li")], "sun.li",
     ResponsibleRole.WARNING_ASSIGNEE),
    ("SC11", [OVERRIDE_OK, decision(decider_level="branch_head", decided_by="zhou.qiang")],
     "zhou.qiang", ResponsibleRole.APPROVER),
]


@pytest.mark.parametrize(("check_id", "edits", "username", "role"), RESPONSIBLE)
def test_finding_names_the_responsible_staff_member(check_id: str, edits: list[Edit],
                                                    username: str,
                                                    role: ResponsibleRole) -> None:
    (draft,) = [d for d in run_checks([edited(*edits)], as_of=AS_OF) if d.check_id == check_id]
    assert draft.responsible is not None
    assert (draft.responsible.username, draft.responsible.role) == (username, role)
    assert draft.responsible_role is role
    assert draft.file_id == 101 and draft.branch_id == 3 and draft.officer == "li.wei"
    assert draft.checkset_version == "supervision-checks-2026.1"
    assert draft.detected_on == AS_OF


def test_draft_records_the_facts_the_check_read() -> None:
    (draft,) = run_checks([edited(setting("valuation_dates", ["2025-01-11"]))], as_of=AS_OF)
    assert draft.facts["valuation_age_days_at_approval"] == 366
    assert draft.facts["policy.valuation_max_age_days"] == 365
    assert "valuation_age_days_at_approval=366" in draft.detail


def test_a_file_without_approver_gives_a_draft_without_responsible() -> None:
    data = clean_file()
    data["decisions"] = []
    data["events"] = [e for e in data["events"] if e["step"] != "approve"]
    drafts = run_checks([LoanFile.from_dict(data)], as_of=AS_OF)
    sc01 = next(d for d in drafts if d.check_id == "SC01")
    assert sc01.responsible is None  # the status says approved, nobody is on record


def test_vectorised_path_agrees_with_run_checks() -> None:
    files = [edited(file_id=101)]
    for i, (_, passing, failing) in enumerate(CASES):
        files += [edited(*passing, file_id=200 + 2 * i), edited(*failing, file_id=201 + 2 * i)]
    frame = check_frame(facts_frame(files, as_of=AS_OF))
    by_file: dict[int, set[str]] = {f.file_id: set() for f in files}
    for d in run_checks(files, as_of=AS_OF):
        assert d.file_id is not None
        by_file[d.file_id].add(d.check_id)
    for row, file in enumerate(files):
        assert {c for c in frame.columns if frame.iloc[row][c]} == by_file[file.file_id]


def test_parameters_are_data_a_risk_manager_can_edit() -> None:
    raw: dict[str, Any] = default_checkset().to_dict()
    raw["version"] = "supervision-checks-2026.2"
    raw["parameters"]["valuation_max_age_days"] = 180
    tighter = CheckSet.from_dict(raw).ensure_valid()
    file = edited(setting("valuation_dates", ["2025-06-01"]))
    assert fired(file) == set()
    assert {d.check_id for d in run_checks([file], tighter, as_of=AS_OF)} == {"SC04"}
    assert tighter.to_dict()["parameters"]["_source"].startswith("valuation_max_age_days")


def test_a_new_check_in_the_same_language() -> None:
    raw = default_checkset().to_dict()
    raw["checks"].append({"id": "SC90", "title_zh": "放款距审批超过30天",
                          "title_en": "disbursed more than 30 days after approval",
                          "severity": "low", "responsible_role": "loan_officer",
                          "regulation": "[P]",
                          "condition": "days_between(approval_date, disbursement_date) > 30"})
    cs = CheckSet.from_dict(raw).ensure_valid()
    late = edited(setting("disbursed_on", "2026-02-20"), setting("registered_on", "2026-02-01"))
    assert {d.check_id for d in run_checks([late], cs, as_of=AS_OF)} == {"SC90"}
    assert run_checks([edited()], cs, as_of=AS_OF) == []


def test_disabled_check_does_not_run() -> None:
    raw = default_checkset().to_dict()
    for c in raw["checks"]:
        c["enabled"] = c["id"] != "SC06"
    cs = CheckSet.from_dict(raw)
    assert run_checks([edited(setting("registered_on", None))], cs, as_of=AS_OF) == []


@pytest.mark.parametrize(("change", "field"), [
    ({"condition": "maker_is_chekcer"}, "checks[SC02].condition"),
    ({"condition": "dpd > 'ninety'"}, "checks[SC02].condition"),
    ({"condition": "maker_is_checker and"}, "checks[SC02].condition"),
    ({"severity": "grave"}, "checks[SC02].severity"),
    ({"responsible_role": "teller"}, "checks[SC02].responsible_role"),
    ({"scope": "branch"}, "checks[SC02].scope"),
    ({"title_zh": ""}, "checks[SC02].title_zh"),
    ({"colour": "red"}, "checks[SC02].colour"),
])
def test_a_bad_check_is_refused_naming_its_field(change: dict[str, Any], field: str) -> None:
    raw = copy.deepcopy(default_checkset().to_dict())
    raw["checks"][1].update(change)
    with pytest.raises(RuleSetError) as err:
        CheckSet.from_dict(raw).ensure_valid()
    assert err.value.field == field


def test_unknown_fact_suggests_the_close_name() -> None:
    raw = default_checkset().to_dict()
    raw["checks"][1]["condition"] = "maker_is_chekcer"
    problems = CheckSet.from_dict(raw).validate()
    assert "did you mean 'maker_is_checker'" in problems[0].message


def test_duplicate_ids_and_bad_parameters_are_refused() -> None:
    raw = default_checkset().to_dict()
    raw["checks"].append(dict(raw["checks"][0]))
    with pytest.raises(RuleSetError, match="duplicate check id 'SC01'"):
        CheckSet.from_dict(raw)
    raw = default_checkset().to_dict()
    raw["parameters"]["override_steps"] = "one"
    with pytest.raises(Exception) as err:
        CheckSet.from_dict(raw)
    assert getattr(err.value, "field", None) == "parameters.override_steps"
    raw = default_checkset().to_dict()
    raw["rectification"]["working_days"].pop("low")
    with pytest.raises(Exception) as err:
        CheckSet.from_dict(raw)
    assert getattr(err.value, "field", None) == "rectification.working_days"


def test_round_trip_keeps_every_check_and_source_note() -> None:
    cs = default_checkset()
    again = CheckSet.from_json(cs.to_json())
    assert again == cs
    assert again.sources == cs.sources and "rectification" in again.sources


def test_facts_of_the_clean_file() -> None:
    facts = file_facts(edited(), as_of=AS_OF)
    assert facts["approved"] and facts["decided"] and facts["disbursed"]
    assert facts["valuation_age_days_at_approval"] == 23
    assert facts["approval_within_authority"] and not facts["maker_is_checker"]
    assert facts["category_rank"] == 0 and facts["dpd_floor_rank"] == 0
    assert facts["months_on_book"] == 5 and not facts["early_default"]
    assert facts["warnings_count"] == 1 and facts["warnings_late_count"] == 0
    assert facts["recommendation"] == "approve" and facts["routed_level"] == "branch_head"
