"""Findings: deadlines by severity in working days, the rectification states, refusals."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.monitoring.handling import HandlingPolicy
from mortgage_risk.supervision import (
    Finding,
    FindingDraft,
    FindingSeverity,
    FindingStatus,
    RectificationTerms,
    ResponsibleRole,
    StaffRef,
    default_checkset,
    open_finding,
    run_checks,
)
from tests.supervision.files import AS_OF, edited, setting

CAL = HandlingPolicy.load_default().calendar
TERMS = default_checkset().rectification
OFFICER = StaffRef("li.wei", ResponsibleRole.LOAN_OFFICER)


def draft(severity: FindingSeverity = FindingSeverity.HIGH, detected_on: date = date(2026, 9, 28),
          responsible: StaffRef | None = OFFICER) -> FindingDraft:
    return FindingDraft(check_id="SC05", checkset_version="supervision-checks-2026.1",
                        severity=severity, title_zh="审批前未实地调查",
                        title_en="no on-site visit before approval", regulation="5.3",
                        responsible_role=ResponsibleRole.LOAN_OFFICER, responsible=responsible,
                        detected_on=detected_on, file_id=101, branch_id=3, officer="li.wei")


@pytest.mark.parametrize(("severity", "deadline"), [
    # found Monday 28 Sep 2026: the National Day holidays (1-7 Oct) do not count, Saturday
    # 10 Oct is a make-up working day
    (FindingSeverity.CRITICAL, date(2026, 10, 10)),
    (FindingSeverity.HIGH, date(2026, 10, 16)),
    (FindingSeverity.MEDIUM, date(2026, 10, 30)),
    (FindingSeverity.LOW, date(2026, 11, 13)),
])
def test_deadline_from_severity_in_working_days(severity: FindingSeverity,
                                                deadline: date) -> None:
    finding = open_finding(draft(severity), TERMS, CAL)
    assert finding.deadline == deadline
    assert finding.status is FindingStatus.OPEN
    assert finding.task.startswith("整改：审批前未实地调查")


def test_a_finding_without_a_responsible_person_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        open_finding(draft(responsible=None), TERMS, CAL)
    assert err.value.field == "responsible"
    named = open_finding(draft(responsible=None), TERMS, CAL,
                         responsible=StaffRef("zhao.min", ResponsibleRole.REVIEWER))
    assert named.responsible.username == "zhao.min"


def test_a_finding_without_a_deadline_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        Finding(draft(), OFFICER, None, "补做实地调查")  # type: ignore[arg-type]
    assert err.value.field == "deadline"
    with pytest.raises(DomainError) as err:
        Finding(draft(), OFFICER, date(2026, 9, 1), "补做实地调查")
    assert err.value.field == "deadline"


@pytest.mark.parametrize(("change", "field"), [
    ({"responsible": None}, "responsible"),
    ({"deadline": None}, "deadline"),
    ({"responsible": {"username": " ", "role": "loan_officer"}}, "responsible.username"),
    ({"responsible": {"username": "li.wei", "role": "teller"}}, "responsible.role"),
    ({"task": ""}, "task"),
    ({"deadline": "next week"}, "deadline"),
    ({"status": "forgotten"}, "status"),
])
def test_finding_from_json_refuses_bad_input_naming_the_field(change: dict[str, Any],
                                                              field: str) -> None:
    raw = json.loads(json.dumps(open_finding(draft(), TERMS, CAL).to_dict()))
    raw.update(change)
    with pytest.raises(DomainError) as err:
        Finding.from_dict(raw)
    assert err.value.field == field


def test_blank_username_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        StaffRef("", ResponsibleRole.APPROVER)
    assert err.value.field == "responsible.username"


def test_rectify_then_close_by_a_supervisor() -> None:
    f = open_finding(draft(), TERMS, CAL, finding_id=7)
    f = f.start("li.wei", date(2026, 9, 29))
    assert f.status is FindingStatus.RECTIFYING
    f = f.rectify("LI.WEI", date(2026, 10, 12), ["补充实地调查记录 SV-2026-1012"], "已补做")
    assert f.status is FindingStatus.RECTIFIED and f.rectified_on == date(2026, 10, 12)
    assert f.evidence == ("补充实地调查记录 SV-2026-1012",)
    f = f.close("qian.jun", "supervisor", date(2026, 10, 14), TERMS, "验收通过")
    assert f.status is FindingStatus.CLOSED
    assert f.closed is not None and f.closed.by == "qian.jun"
    assert [e.action for e in f.history] == ["start", "rectify", "close"]
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f


def test_reopen_sends_it_back_with_a_reason_and_a_new_deadline() -> None:
    f = open_finding(draft(), TERMS, CAL).rectify("li.wei", date(2026, 10, 9), ["照片 3 张"])
    with pytest.raises(DomainError) as err:
        f.reopen("qian.jun", "supervisor", date(2026, 10, 12), TERMS, " ")
    assert err.value.field == "reason"
    f = f.reopen("qian.jun", "supervisor", date(2026, 10, 12), TERMS, "照片不能证明走访",
                 new_deadline=date(2026, 10, 23))
    assert f.status is FindingStatus.RECTIFYING and f.deadline == date(2026, 10, 23)
    assert f.reopened == 1 and f.rectified_on is None
    assert f.is_overdue(date(2026, 10, 26)) and not f.is_overdue(date(2026, 10, 23))


@pytest.mark.parametrize(("step", "field"), [
    (lambda f: f.start("zhao.min", date(2026, 9, 29)), "by"),
    (lambda f: f.rectify("li.wei", date(2026, 9, 29), []), "evidence"),
    (lambda f: f.rectify("li.wei", date(2026, 9, 29), ["  "]), "evidence"),
    (lambda f: f.close("qian.jun", "supervisor", date(2026, 9, 29), TERMS), "status"),
    (lambda f: f.rectify("li.wei", date(2026, 9, 1), ["x"]), "on"),
    (lambda f: f.rectify("li.wei", date(2026, 9, 29), ["x"]).close(
        "zhao.min", "reviewer", date(2026, 9, 30), TERMS), "by"),
    (lambda f: f.rectify("li.wei", date(2026, 9, 29), ["x"]).close(
        "li.wei", "supervisor", date(2026, 9, 30), TERMS), "by"),
    (lambda f: f.rectify("li.wei", date(2026, 9, 29), ["x"]).start(
        "li.wei", date(2026, 9, 30)), "status"),
])
def test_out_of_turn_steps_are_refused(step: Any, field: str) -> None:
    with pytest.raises(DomainError) as err:
        step(open_finding(draft(), TERMS, CAL))
    assert err.value.field == field


def test_terms_need_every_severity() -> None:
    with pytest.raises(DomainError) as err:
        RectificationTerms.from_dict({"working_days": {"high": 10}, "closing_roles": ["x"]})
    assert err.value.field == "rectification.working_days"
    with pytest.raises(DomainError) as err:
        RectificationTerms.from_dict({"working_days": {"critical": 0, "high": 1, "medium": 1,
                                                       "low": 1}, "closing_roles": ["x"]})
    assert err.value.field == "rectification.working_days.critical"


def test_drafts_from_checks_open_as_findings() -> None:
    drafts = run_checks([edited(setting("visits", []))], as_of=AS_OF)
    (finding,) = [open_finding(d, TERMS, CAL) for d in drafts]
    assert finding.check_id == "SC05" and finding.severity is FindingSeverity.HIGH
    assert finding.deadline == date(2026, 7, 14)  # 10 working days after Tue 30 Jun 2026
    assert FindingDraft.from_dict(json.loads(json.dumps(drafts[0].to_dict()))) == drafts[0]
