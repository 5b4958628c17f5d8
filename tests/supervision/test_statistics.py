"""Statistics per branch and officer, and accountability per staff member, checked by hand."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.monitoring.handling import HandlingPolicy
from mortgage_risk.supervision import (
    FindingDraft,
    FindingSeverity,
    ResponsibleRole,
    StaffRef,
    accountability,
    accountability_frame,
    branch_statistics,
    default_checkset,
    files_frame,
    findings_frame,
    officer_statistics,
    open_finding,
    run_checks,
    statistics,
    warnings_frame,
)
from tests.supervision.files import AS_OF, OVERRIDE_OK, edited, loan, setting, warning

FILES = pd.DataFrame({
    "file_id": [1, 2, 3, 4], "branch_id": [3, 3, 3, 5],
    "officer": ["li.wei", "li.wei", "zhang.san", "wu.gang"],
    "override": [False, True, False, True], "early_default": [False, False, True, False]})
FINDINGS = pd.DataFrame({
    "file_id": [1, 1, 3, 4], "branch_id": [3, 3, 3, 5],
    "officer": ["li.wei", "li.wei", "zhang.san", "wu.gang"],
    "severity": ["high", "medium", "critical", "high"]})
WARNINGS = pd.DataFrame({
    "file_id": [1, 2, 3, 4, 4], "branch_id": [3, 3, 3, 5, 5],
    "officer": ["li.wei", "li.wei", "zhang.san", "wu.gang", "wu.gang"],
    "verification_days": [2, 6, None, 1, 3], "late": [False, True, True, False, False]})


def test_per_branch_by_hand() -> None:
    out = branch_statistics(FILES, FINDINGS, WARNINGS)
    assert list(out.index) == [3, 5]
    b3, b5 = out.loc[3], out.loc[5]
    assert (b3.files_checked, b3.findings, b3.findings_low, b3.findings_medium,
            b3.findings_high, b3.findings_critical) == (3, 3, 0, 1, 1, 1)
    assert (b3.overrides, b3.early_defaults, b3.warnings, b3.late_warnings) == (1, 1, 3, 2)
    assert b3.median_verification_days == 4.0
    assert (b5.files_checked, b5.findings, b5.findings_high, b5.overrides, b5.warnings,
            b5.late_warnings, b5.median_verification_days) == (1, 1, 1, 1, 2, 0, 2.0)


def test_per_officer_by_hand() -> None:
    out = officer_statistics(FILES, FINDINGS, WARNINGS)
    assert list(out.index) == ["li.wei", "wu.gang", "zhang.san"]
    li, zhang = out.loc["li.wei"], out.loc["zhang.san"]
    assert (li.files_checked, li.findings, li.overrides, li.warnings, li.late_warnings,
            li.median_verification_days) == (2, 2, 1, 2, 1, 4.0)
    assert (zhang.findings_critical, zhang.early_defaults, zhang.late_warnings) == (1, 1, 1)
    assert math.isnan(zhang.median_verification_days)  # its one warning is unverified


def test_a_branch_without_findings_or_warnings_counts_zero() -> None:
    files = pd.concat([FILES, pd.DataFrame({"file_id": [9], "branch_id": [8],
                                            "officer": ["he.ping"], "override": [False],
                                            "early_default": [False]})])
    row = branch_statistics(files, FINDINGS, WARNINGS).loc[8]
    assert (row.files_checked, row.findings, row.warnings, row.late_warnings) == (1, 0, 0, 0)
    assert math.isnan(row.median_verification_days)


def test_bad_grouping_and_missing_columns_are_named() -> None:
    with pytest.raises(DomainError) as err:
        statistics(FILES, FINDINGS, WARNINGS, by="township")
    assert err.value.field == "by"
    with pytest.raises(DomainError) as err:
        statistics(FILES.drop(columns="override"), FINDINGS, WARNINGS)
    assert err.value.field == "files.override"


def test_frames_built_from_loan_files() -> None:
    files = [edited(file_id=1), edited(OVERRIDE_OK, setting("visits", []), file_id=2),
             edited(warning(verified_on="2026-03-12"), file_id=3, officer="zhang.san"),
             edited(loan(days_past_due=120, five_category="substandard"), file_id=4,
                    officer="zhang.san")]
    drafts = run_checks(files, as_of=AS_OF)
    assert {(d.file_id, d.check_id) for d in drafts} == {(2, "SC05"), (3, "SC09")}
    out = officer_statistics(files_frame(files, as_of=AS_OF), findings_frame(drafts),
                             warnings_frame(files, as_of=AS_OF))
    li, zhang = out.loc["li.wei"], out.loc["zhang.san"]
    assert (li.files_checked, li.findings_high, li.overrides, li.late_warnings) == (2, 1, 1, 0)
    assert li.median_verification_days == 3.0  # opened 2 Mar, verified 5 Mar
    assert (zhang.findings_medium, zhang.early_defaults, zhang.late_warnings) == (1, 1, 1)
    assert zhang.median_verification_days == 6.5  # 10 and 3 days


def _draft(check_id: str, severity: FindingSeverity, who: StaffRef) -> FindingDraft:
    return FindingDraft(check_id=check_id, checkset_version="v", severity=severity,
                        title_zh="标题", title_en="title", regulation="r",
                        responsible_role=who.role, responsible=who,
                        detected_on=date(2026, 6, 1), file_id=1, branch_id=3,
                        officer="li.wei")


def test_accountability_per_staff_member() -> None:
    cal = HandlingPolicy.load_default().calendar
    terms = default_checkset().rectification
    li = StaffRef("li.wei", ResponsibleRole.LOAN_OFFICER)
    wang = StaffRef("wang.fang", ResponsibleRole.APPROVER)
    on_time = open_finding(_draft("SC05", FindingSeverity.HIGH, li), terms, cal) \
        .rectify("li.wei", date(2026, 6, 10), ["SV-1"]) \
        .close("qian.jun", "supervisor", date(2026, 6, 11), terms)
    overdue = open_finding(_draft("SC04", FindingSeverity.CRITICAL, li), terms, cal)
    late = open_finding(_draft("SC06", FindingSeverity.CRITICAL,
                               StaffRef("Li.Wei", ResponsibleRole.DISBURSER)), terms, cal) \
        .rectify("li.wei", date(2026, 6, 20), ["登记证明"])
    reopened = open_finding(_draft("SC10", FindingSeverity.HIGH, wang), terms, cal) \
        .rectify("wang.fang", date(2026, 6, 5), ["补充说明"]) \
        .reopen("qian.jun", "supervisor", date(2026, 6, 8), terms, "理由不充分",
                date(2026, 7, 10))
    records = accountability([on_time, overdue, late, reopened], as_of=date(2026, 6, 30))
    assert [r.username for r in records] == ["li.wei", "wang.fang"]
    li_rec, wang_rec = records
    assert li_rec.roles == ("disburser", "loan_officer")
    assert (li_rec.findings, li_rec.by_severity[FindingSeverity.CRITICAL], li_rec.open,
            li_rec.overdue, li_rec.rectified_on_time, li_rec.rectified_late,
            li_rec.closed) == (3, 2, 1, 1, 1, 1, 1)
    assert li_rec.check_ids == ("SC04", "SC05", "SC06")
    assert (wang_rec.open, wang_rec.reopened, wang_rec.overdue) == (1, 1, 0)
    frame = accountability_frame([on_time, overdue, late, reopened], as_of=date(2026, 6, 30))
    assert list(frame["findings"]) == [3, 1]
    assert list(frame["findings_critical"]) == [2, 0]
