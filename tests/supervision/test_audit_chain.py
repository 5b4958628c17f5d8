"""The audit chain check: a broken chain is a critical finding naming the first bad record."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from mortgage_risk.monitoring.handling import HandlingPolicy
from mortgage_risk.storage.audit import AuditLog, verify_chain
from mortgage_risk.storage.tables import AuditRow
from mortgage_risk.supervision import (
    ChainBreak,
    ChainReport,
    FindingSeverity,
    ResponsibleRole,
    check_audit_chain,
    open_finding,
)
from mortgage_risk.supervision.checks import default_checkset
from mortgage_risk.supervision.findings import FindingStatus

TODAY = date(2026, 6, 30)


def test_an_intact_chain_gives_no_finding() -> None:
    assert check_audit_chain(ChainReport(1200), detected_on=TODAY, custodian="admin") == []


def test_a_broken_chain_gives_a_critical_finding() -> None:
    report = ChainReport(57, ChainBreak(42, "content changed after it was written"))
    (draft,) = check_audit_chain(report, detected_on=TODAY, custodian="admin")
    assert draft.check_id == "SC13"
    assert draft.severity is FindingSeverity.CRITICAL
    assert draft.responsible is not None and draft.responsible.username == "admin"
    assert draft.responsible.role is ResponsibleRole.AUDIT_CUSTODIAN
    assert draft.facts["audit_first_break_id"] == 42
    assert "42" in draft.detail and "content changed" in draft.detail
    finding = open_finding(draft, default_checkset().rectification,
                           HandlingPolicy.load_default().calendar)
    assert finding.status is FindingStatus.OPEN
    assert finding.deadline == date(2026, 7, 7)  # 5 working days


def test_a_chain_report_read_from_json() -> None:
    report = ChainReport.from_dict({"records": 9, "first_break": {
        "record_id": 3, "reason": "records 2..2 are missing (deleted)"}})
    (draft,) = check_audit_chain(report, detected_on=TODAY)
    assert draft.responsible is None  # nobody named: the supervisor must name the custodian
    with pytest.raises(ValueError) as err:
        ChainReport.from_dict({"records": -1})
    assert getattr(err.value, "field", None) == "chain.records"


@pytest.mark.parametrize(("tamper", "record_id", "reason"), [
    ("UPDATE audit_log SET actor = 'mallory' WHERE id = 3", 3, "changed"),
    ("DELETE FROM audit_log WHERE id = 2", 3, "missing"),
])
def test_a_tampered_audit_record_shows_up_as_a_finding(tamper: str, record_id: int,
                                                       reason: str) -> None:
    engine = create_engine("sqlite://")
    AuditRow.__table__.create(engine)  # type: ignore[attr-defined]
    with Session(engine) as session:
        log = AuditLog(session)
        for i in range(1, 6):
            log.record(actor="li.wei", action="update", entity="application", entity_id=i,
                       after={"status": "submitted"})
        session.commit()
        report = verify_chain(session)
        assert report.intact
        assert check_audit_chain(report, detected_on=TODAY, custodian="admin") == []
    with engine.begin() as conn:
        conn.execute(text(tamper))
    with Session(engine) as session:
        report = verify_chain(session)
    (draft,) = check_audit_chain(report, detected_on=TODAY, custodian="admin")
    assert draft.severity is FindingSeverity.CRITICAL
    assert draft.facts["audit_first_break_id"] == record_id
    assert reason in draft.detail
