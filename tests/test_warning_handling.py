"""Warning handling and classification decisions in the database (SQLite and PostgreSQL):
cases from a run, deadlines and escalation, verification with evidence, measures, closing
authority and maker-checker, the classification review, manual downgrade and approved
upgrade; every step audited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from mortgage_risk.services import classification as cls
from mortgage_risk.services import warnings as wrn
from mortgage_risk.services.demo import seed_portfolio
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.monitoring import nightly_run
from mortgage_risk.services.monitoring_schemas import (
    CloseDecisionIn,
    ManualClassIn,
    MeasureDoneIn,
    MeasureIn,
    NoteIn,
    ReviewDecisionIn,
    UpgradeDecisionIn,
    VerifyIn,
)
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import (
    LoanClassificationRow,
    LoanRow,
    MonitoringRunRow,
    WarningActionRow,
    WarningCaseRow,
)

ON = date(2026, 6, 30)  # a Tuesday


def _user(db: Database, name: str) -> CurrentUser:
    with db.uow() as uow:
        row = uow.users.by_username(name)
        assert row is not None
        user = load_user(uow, row.id)
        assert user is not None
        return user


@pytest.fixture
def book(database: Database) -> Database:
    with database.uow() as uow:
        seed_portfolio(uow, actor="test", loans=300, seed=21, as_of=ON, parquet_dir=None)
    return database


def _borrowers_in_branch(db: Database, branch_id: int, n: int) -> list[tuple[int, list[int]]]:
    with db.uow() as uow:
        rows = uow.session.execute(select(LoanRow.borrower_id, LoanRow.id).where(
            LoanRow.branch_id == branch_id, LoanRow.status == "active").order_by(
            LoanRow.borrower_id)).all()
    by: dict[int, list[int]] = {}
    for b, loan in rows:
        by.setdefault(b, []).append(loan)
    return list(by.items())[:n]


def _frame(rows: list[tuple[int, int, str, list[int]]]) -> pd.DataFrame:
    ranks = {"blue": 1, "yellow": 2, "orange": 3, "red": 4}
    return pd.DataFrame([{
        "borrower_id": b, "branch_id": br, "level": lv, "level_rank": ranks[lv],
        "signal_count": 2, "top_indicator_id": "REP_DPD", "indicator_ids": ["REP_DPD", "JUD_X"],
        "loan_ids": loans, "low_confidence_only": False} for b, br, lv, loans in rows])


def _sync(db: Database, rows: list[tuple[int, int, str, list[int]]], on: date) -> dict[str, int]:
    with db.uow() as uow:
        out = wrn.sync_warnings(uow, as_of=on, warnings=_frame(rows), versions={"t": "1"})
        uow.commit()
    return out


def _case(db: Database, borrower: int) -> WarningCaseRow:
    with db.uow() as uow:
        row = uow.session.scalars(select(WarningCaseRow).where(
            WarningCaseRow.borrower_id == borrower)).one()
        uow.session.expunge(row)
        return row


def test_cases_deadlines_escalation_and_resync(book: Database) -> None:
    officer = _user(book, "officer1")
    assert officer.branch_id is not None
    (a, a_loans), (b, b_loans) = _borrowers_in_branch(book, officer.branch_id, 2)
    br = officer.branch_id
    assert _sync(book, [(a, br, "red", a_loans), (b, br, "yellow", b_loans)], ON) == {
        "opened": 2, "raised": 0, "seen": 0}
    red, yellow = _case(book, a), _case(book, b)
    assert (red.status, red.deadline, red.assigned_to) == ("open", date(2026, 7, 1), officer.id)
    assert yellow.deadline == date(2026, 7, 7)  # 5 working days
    # the same warnings again add nothing; a worse level raises and tightens the deadline
    assert _sync(book, [(a, br, "red", a_loans), (b, br, "yellow", b_loans)], ON)["seen"] == 2
    assert _sync(book, [(b, br, "orange", b_loans)], date(2026, 7, 1))["raised"] == 1
    raised = _case(book, b)
    assert (raised.level, raised.deadline) == ("orange", date(2026, 7, 6))
    with book.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WarningCaseRow)) == 2
        assert wrn.escalate_overdue(uow, today=date(2026, 7, 2))["escalated_cases"] == 1
        assert wrn.escalate_overdue(uow, today=date(2026, 7, 3))["escalated_cases"] == 1
        uow.commit()
    assert _case(book, a).escalation == 2  # branch reviewer, then the risk department
    assert _case(book, b).escalation == 0
    # the board: most urgent first, scoped to the officer's branch; another branch sees none
    with book.uow() as uow:
        board = wrn.list_warnings(uow, officer, today=date(2026, 7, 3))
        assert [i["borrower_id"] for i in board["items"]] == [a, b]
        assert board["items"][0]["overdue"] and board["counts"]["overdue"] == 1
        assert wrn.list_warnings(uow, _user(book, "officer2"))["total"] == 0
        with pytest.raises(NotFound):
            wrn.warning_detail(uow, _user(book, "officer2"), red.id)
        with pytest.raises(InvalidInput) as err:
            wrn.list_warnings(uow, officer, levels=["purple"])
        assert err.value.field == "level"


def test_red_warning_from_verification_to_closing(book: Database) -> None:
    officer, reviewer = _user(book, "officer1"), _user(book, "reviewer1")
    risk = _user(book, "risk")
    assert officer.branch_id is not None
    (a, a_loans), (b, b_loans) = _borrowers_in_branch(book, officer.branch_id, 2)
    _sync(book, [(a, officer.branch_id, "orange", a_loans),
                 (b, officer.branch_id, "yellow", b_loans)], ON)
    case_a, case_b = _case(book, a).id, _case(book, b).id
    day = date(2026, 7, 1)
    with book.uow() as uow:
        with pytest.raises(NotFound):  # an officer of another branch cannot see it
            wrn.verify(uow, _user(book, "officer2"), case_a, VerifyIn(
                outcome="confirmed", method="phone", evidence=["x"]), today=day)
    with book.uow() as uow:
        out = wrn.verify(uow, officer, case_a, VerifyIn(
            outcome="confirmed", level="red", method="on_site",
            evidence=["现场照片 IMG_0001", "法院执行通知书"], note="借款人被列为失信被执行人"),
            today=day)
    assert out["status"] == "confirmed" and len(out["reviews_opened"]) == len(a_loans)
    with book.uow() as uow:
        with pytest.raises(InvalidInput) as err:
            wrn.add_measure(uow, officer, case_a, MeasureIn(code="pray"), today=day)
        assert err.value.field == "code"
        measure = wrn.add_measure(uow, officer, case_a, MeasureIn(code="call_loan"), today=day)
    with book.uow() as uow, pytest.raises(Conflict, match="call_loan"):
        wrn.request_close(uow, officer, case_a, NoteIn(note="已收回"), today=day)
    with book.uow() as uow:
        wrn.complete_measure(uow, officer, measure["id"], MeasureDoneIn(note="已提前收贷"),
                             today=day)
    with book.uow() as uow:
        wrn.request_close(uow, officer, case_a, NoteIn(note="贷款已结清，触发因素消除"), today=day)
    with book.uow() as uow, pytest.raises(PermissionDenied, match="risk department"):
        wrn.decide_close(uow, reviewer, case_a, CloseDecisionIn(approve=True, note="同意"))
    with book.uow() as uow:
        assert wrn.decide_close(uow, risk, case_a, CloseDecisionIn(approve=True, note="同意解除"),
                                today=day)["status"] == "closed"
    # a false positive goes to a reviewer, who may send it back
    with book.uow() as uow:
        wrn.verify(uow, officer, case_b, VerifyIn(
            outcome="false_positive", method="phone", evidence=["通话记录"],
            note="系统误报，已正常还款"), today=day)
    with book.uow() as uow, pytest.raises(PermissionDenied, match="maker-checker"):
        wrn.decide_close(uow, _verifier_as_reviewer(book), case_b,
                         CloseDecisionIn(approve=True, note="同意"))
    with book.uow() as uow:
        assert wrn.decide_close(uow, reviewer, case_b, CloseDecisionIn(
            approve=False, note="证据不足"), today=day)["status"] == "open"
    with book.uow() as uow:
        actions = [r.action for r in uow.session.scalars(select(WarningActionRow).where(
            WarningActionRow.warning_id == case_a).order_by(WarningActionRow.id))]
        assert actions == ["opened", "verified", "measure_added", "measure_done",
                           "close_requested", "closed"]
        assert verify_chain(uow.session).intact


def _verifier_as_reviewer(db: Database) -> CurrentUser:
    """The officer who verified, holding a reviewer's role (to test maker-checker alone)."""
    officer = _user(db, "officer1")
    from mortgage_risk.domain import Role

    return CurrentUser(officer.id, officer.username, officer.full_name, Role.REVIEWER,
                       officer.branch_id)


def test_review_downgrade_and_approved_upgrade(book: Database) -> None:
    officer, reviewer = _user(book, "officer1"), _user(book, "reviewer1")
    approver = _user(book, "approver1")
    assert officer.branch_id is not None
    (a, a_loans), = _borrowers_in_branch(book, officer.branch_id, 1)
    _sync(book, [(a, officer.branch_id, "red", a_loans)], ON)
    day = date(2026, 7, 1)
    with book.uow() as uow:
        review_id = wrn.verify(uow, officer, _case(book, a).id, VerifyIn(
            outcome="confirmed", method="court_record", evidence=["执行裁定书"]),
            today=day)["reviews_opened"][0]
    loan_id = a_loans[0]
    with book.uow() as uow, pytest.raises(PermissionDenied):
        cls.decide_review(uow, officer, review_id, ReviewDecisionIn(
            outcome="downgrade", category="substandard", note="失信被执行"))
    with book.uow() as uow:
        out = cls.decide_review(uow, reviewer, review_id, ReviewDecisionIn(
            outcome="downgrade", category="substandard", note="失信被执行，下调为次级"), today=day)
    assert out["category"] == "substandard"
    with book.uow() as uow:
        loan = uow.session.get(LoanRow, loan_id)
        assert loan is not None and loan.five_category == "substandard"
        stored = uow.session.scalars(select(LoanClassificationRow).where(
            LoanClassificationRow.loan_id == loan_id)).one()
        assert (stored.as_of, stored.category, stored.driver) == (
            day, "substandard", "manual_downgrade")
        with pytest.raises(InvalidInput, match="worse than the current"):
            cls.manual_downgrade(uow, reviewer, loan_id, ManualClassIn(
                category="special_mention", reason="试图上调"))
    # an upgrade needs a second person
    with book.uow() as uow:
        req = cls.request_upgrade(uow, officer, loan_id, ManualClassIn(
            category="normal", reason="已结清欠款并正常还款"), today=day)
    with book.uow() as uow, pytest.raises(PermissionDenied):
        cls.decide_upgrade(uow, officer, req["id"], UpgradeDecisionIn(approve=True, note="同意"))
    with book.uow() as uow:
        done = cls.decide_upgrade(uow, approver, req["id"], UpgradeDecisionIn(
            approve=True, note="核实无误，同意上调"), today=day)
    assert done["status"] == "effective"
    with book.uow() as uow:
        detail = cls.loan_classification(uow, officer, loan_id)
        assert [m["direction"] for m in detail["manual"]] == ["upgrade", "downgrade"]
        assert detail["reviews"][0]["outcome"] == "downgrade"
        assert detail["category"] == done["category"]
        assert verify_chain(uow.session).intact


def test_nightly_run_stores_classes_and_cases_once(book: Database, tmp_path: Path) -> None:
    first = nightly_run(book, var_dir=tmp_path, as_of=ON)
    again = nightly_run(book, var_dir=tmp_path, as_of=ON)
    assert first.counts["cases"]["opened"] == first.counts["warnings"] > 0
    assert again.counts["cases"]["opened"] == 0
    assert again.counts["cases"]["seen"] == first.counts["warnings"]
    with book.uow() as uow:
        n_loans = uow.session.scalar(select(func.count()).select_from(LoanRow))
        stored = uow.session.scalar(select(func.count()).select_from(LoanClassificationRow))
        assert stored == n_loans
        assert uow.session.scalar(select(func.count()).select_from(MonitoringRunRow)) == 1
        assert uow.session.scalar(select(func.count()).select_from(
            WarningCaseRow)) == first.counts["warnings"]
        assert verify_chain(uow.session).intact


def test_restructuring_puts_the_loan_under_observation(book: Database) -> None:
    from mortgage_risk.services.monitoring_schemas import RestructuringIn

    approver, officer = _user(book, "approver1"), _user(book, "officer1")
    with book.uow() as uow:
        loan = uow.session.scalars(select(LoanRow).where(
            LoanRow.branch_id == approver.branch_id, LoanRow.status == "active",
            LoanRow.five_category == "normal", LoanRow.days_past_due == 0)).first()
        assert loan is not None
        loan_id = loan.id
    data = RestructuringIn(restructure_date=date(2026, 6, 1), note="延长期限12个月")
    with book.uow() as uow, pytest.raises(PermissionDenied):
        cls.record_restructuring(uow, officer, loan_id, data, today=ON)
    with book.uow() as uow, pytest.raises(InvalidInput) as err:
        cls.record_restructuring(uow, approver, loan_id, RestructuringIn(
            restructure_date=date(2026, 7, 1), note="未来日期"), today=ON)
    assert err.value.field == "restructure_date"
    with book.uow() as uow:
        out = cls.record_restructuring(uow, approver, loan_id, data, today=ON)
    # performing before the change: at least special mention while in observation
    assert out["category"] == "special_mention"
    with book.uow() as uow:
        detail = cls.loan_classification(uow, approver, loan_id)
        assert detail["restructurings"][0]["pre_category"] == "normal"
        assert "RESTRUCTURED_IN_OBSERVATION" in [r["code"] for r in detail["latest"]["reasons"]]


def test_the_run_brings_arrears_up_to_date_from_the_repayments(book: Database,
                                                              tmp_path: Path) -> None:
    from decimal import Decimal

    from mortgage_risk.storage.tables import RepaymentRow

    with book.uow() as uow:
        loan = uow.session.scalars(select(LoanRow).where(
            LoanRow.status == "active", LoanRow.days_past_due == 0,
            LoanRow.five_category == "normal").order_by(LoanRow.id)).first()
        assert loan is not None
        missed = uow.session.scalars(select(RepaymentRow).where(
            RepaymentRow.loan_id == loan.id, RepaymentRow.due_date <= date(2026, 6, 15))
            .order_by(RepaymentRow.due_date.desc())).first()
        assert missed is not None
        missed.amount_paid, missed.paid_date = Decimal(0), None  # as an imported correction
        loan_id, due, owed = loan.id, missed.due_date, missed.amount_due
        uow.commit()
    nightly_run(book, var_dir=tmp_path, as_of=ON)
    with book.uow() as uow:
        loan = uow.session.get(LoanRow, loan_id)
        assert loan is not None
        assert loan.days_past_due == (ON - due).days > 7
        assert loan.overdue_amount == owed
        assert loan.five_category == "special_mention"


def test_a_borrower_level_warning_covers_the_borrowers_active_loans(book: Database) -> None:
    officer = _user(book, "officer1")
    assert officer.branch_id is not None
    (a, a_loans), = _borrowers_in_branch(book, officer.branch_id, 1)
    _sync(book, [(a, officer.branch_id, "orange", [])], ON)  # e.g. a credit bureau signal
    assert _case(book, a).loan_ids == sorted(a_loans)
