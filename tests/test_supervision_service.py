"""Post-loan supervision in the database (SQLite and PostgreSQL): a run over a seeded book with
hand-made loan files finds exactly the breaches put in them, a re-run adds nothing, an edited
audit record opens the critical audit finding, the finding lifecycle with maker-checker on
closing, manual findings refused without a responsible person or a deadline (nothing written),
samples reproducible by seed, accountability and statistics on a small case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from mortgage_risk.domain import Role
from mortgage_risk.services import supervision as sv
from mortgage_risk.services.demo import seed_portfolio
from mortgage_risk.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from mortgage_risk.services.users import CurrentUser, add_user, hash_password, load_user
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import (
    ApplicationRow,
    AssessmentRow,
    AuditRow,
    BorrowerRow,
    ContractRow,
    CreditDecisionRow,
    FindingActionRow,
    FindingRow,
    LoanRow,
    MortgageRegistrationRow,
    PropertyRow,
    SiteVisitRow,
    SupervisionRunRow,
    SupervisionSampleRow,
    ValuationRow,
    WarningCaseRow,
    WorkflowEventRow,
)

ON = date(2026, 6, 30)  # the book's date, a Tuesday


def user(db: Database, name: str) -> CurrentUser:
    with db.uow() as uow:
        row = uow.users.by_username(name)
        assert row is not None
        found = load_user(uow, row.id)
        assert found is not None
        return found


def seed(db: Database) -> Database:
    with db.uow() as uow:
        seed_portfolio(uow, actor="test", loans=300, seed=21, as_of=ON, parquet_dir=None)
    return db


@pytest.fixture
def book(database: Database) -> Database:
    return seed(database)


def _at(day: date, hour: int = 2) -> datetime:
    """A moment of ``day`` (02:00 UTC is 10:00 in Beijing, the same day)."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


@dataclass
class FileSpec:
    """A hand-made loan file: a clean, compliant path unless told otherwise (days before ON)."""

    name: str
    visit: bool = True
    valuation: bool = True
    routed: str = "branch_head"
    recommendation: str = "approve"
    reviewer: str = "reviewer1"
    approver: str = "approver1"
    override: bool = False
    reasons: str = ""
    contract_day: int = 45
    registration_day: int = 40
    disbursed_day: int = 35
    dpd: int = 0
    category: str = "normal"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MadeFile:
    key: str
    application_id: int
    loan_id: int
    borrower_id: int


def _free_borrowers(db: Database, branch_id: int, n: int, skip: set[int]) -> list[tuple[int, int]]:
    """(borrower, property) pairs of the branch not used by any hand-made file yet."""
    with db.uow() as uow:
        rows = uow.session.execute(
            select(BorrowerRow.id, PropertyRow.id).join(
                PropertyRow, PropertyRow.owner_id == BorrowerRow.id)
            .where(BorrowerRow.branch_id == branch_id).order_by(BorrowerRow.id)).all()
    return [(b, p) for b, p in rows if b not in skip][:n]


def make_file(db: Database, spec: FileSpec, borrower: int, prop: int) -> MadeFile:
    """Insert the file's rows directly (the way a file breaking the rules could only arise
    outside the workflow): application, steps, visit, valuation, assessment, decision,
    contract, registration and the disbursed loan."""
    officer = user(db, "officer1")
    day = {k: ON - timedelta(days=v) for k, v in {
        "submit": 60, "visit": 55, "valuation": 56, "assess": 54, "review": 53,
        "approve": 50, "contract": spec.contract_day, "registration": spec.registration_day,
        "disburse": spec.disbursed_day}.items()}
    with db.uow() as uow:
        s = uow.session
        app = ApplicationRow(
            application_no=f"TS{spec.name}", borrower_id=borrower, property_id=prop,
            branch_id=officer.branch_id, officer_id=officer.id, amount=Decimal(300000),
            term_months=240, repayment_method="equal_installment", purpose="purchase",
            purchase_price=Decimal(500000), co_owner_consent=True, first_home=True,
            status="disbursed", submitted_on=day["submit"], decided_on=day["approve"])
        s.add(app)
        s.flush()
        steps = [("submit", "officer1", day["submit"]), ("assess", "officer1", day["assess"]),
                 ("review", spec.reviewer, day["review"]),
                 ("approve", spec.approver, day["approve"]),
                 ("sign_contract", "officer1", day["contract"]),
                 ("register_mortgage", "officer1", day["registration"]),
                 ("disburse", "officer1", day["disburse"])]
        if spec.visit:
            steps.insert(1, ("record_visit", "officer1", day["visit"]))
            s.add(SiteVisitRow(application_id=app.id, visited_on=day["visit"],
                               officer="officer1", occupancy="owner",
                               collateral_condition="intact", income_verified=True,
                               findings="房屋完好", evidence=["photo.jpg"], observed=None))
        for step, actor, when in steps:
            s.add(WorkflowEventRow(application_id=app.id, step=step, from_status="x",
                                   to_status="y", actor=actor, at=_at(when), note="",
                                   data=None))
        valuation = None
        if spec.valuation:
            valuation = ValuationRow(
                property_id=prop, valuation_date=day["valuation"], params_version="t",
                approaches=["market"], market_value=Decimal(500000),
                mortgage_value=Decimal(450000), net_mortgage_value=Decimal(440000),
                eligible=True, loan_amount=Decimal(300000), ltv=Decimal("0.6"),
                lgd=Decimal("0.2"), result={}, valued_by="officer1",
                created_at=_at(day["valuation"]))
            s.add(valuation)
            s.flush()
        assessment = AssessmentRow(
            application_id=app.id, created_by="officer1", created_at=_at(day["assess"]),
            recommendation=spec.recommendation, authority_level=spec.routed,
            pd=Decimal("0.01"), grade="B", limit_amount=Decimal(350000),
            approved_amount=Decimal(300000), annual_rate=Decimal("0.045"),
            expected_loss=Decimal(600), valuation_id=valuation.id if valuation else None,
            versions={"rules": "t"}, content={}, content_sha256="0" * 64)
        s.add(assessment)
        s.flush()
        s.add(CreditDecisionRow(
            application_id=app.id, assessment_id=assessment.id, stage="approval",
            decision="approve", decided_by=spec.approver,
            authority_level="credit_committee" if spec.approver == "risk" else "branch_head",
            override=spec.override, reasons=spec.reasons, approved_amount=Decimal(300000),
            annual_rate=Decimal("0.045"), at=_at(day["approve"])))
        s.add(ContractRow(application_id=app.id, contract_no=f"HT-{spec.name}",
                          signed_on=day["contract"], amount=Decimal(300000),
                          annual_rate=Decimal("0.045"), term_months=240,
                          repayment_method="equal_installment", signed_by="officer1"))
        s.add(MortgageRegistrationRow(application_id=app.id, property_id=prop,
                                      certificate_no=f"CERT-{spec.name}",
                                      registered_on=day["registration"],
                                      registry_office="县不动产登记中心", recorded_by="officer1"))
        loan = LoanRow(
            contract_no=f"HT-{spec.name}", application_id=app.id, borrower_id=borrower,
            property_id=prop, branch_id=officer.branch_id, officer_id=officer.id,
            principal=Decimal(300000), term_months=240, annual_rate=Decimal("0.045"),
            repayment_method="equal_installment", origination_date=day["disburse"],
            maturity_date=day["disburse"] + timedelta(days=7300), status="active",
            outstanding_principal=Decimal(299000), overdue_amount=Decimal(0),
            days_past_due=spec.dpd, five_category=spec.category, as_of=ON)
        s.add(loan)
        s.flush()
        made = MadeFile(f"application:{app.id}", app.id, loan.id, borrower)
        uow.commit()
    return made


#: each hand-made file and the checks it breaks
SPECS = {
    "clean": (FileSpec("clean"), set()),
    "bad": (FileSpec("bad", visit=False, valuation=False, routed="credit_committee",
                     contract_day=52, registration_day=30), {"SC01", "SC04", "SC05", "SC06",
                                                             "SC07"}),
    "maker": (FileSpec("maker", reviewer="officer1"), {"SC02"}),
    "override": (FileSpec("override", recommendation="decline"), {"SC10", "SC11", "SC12"}),
    "flagged": (FileSpec("flagged", recommendation="decline", approver="risk", override=True,
                         reasons="抵押充足，收入稳定"), set()),
}


@dataclass
class Book:
    db: Database
    files: dict[str, MadeFile]
    misclassified: int  # a book loan: normal at 100 days past due
    late_warning_loan: int  # a book loan whose red warning was not verified in time


def make_book(db: Database) -> Book:
    officer = user(db, "officer1")
    assert officer.branch_id is not None
    pairs = iter(_free_borrowers(db, officer.branch_id, len(SPECS) + 2, set()))
    files = {}
    for name, (spec, _) in SPECS.items():
        borrower, prop = next(pairs)
        files[name] = make_file(db, spec, borrower, prop)
    made = {f.borrower_id for f in files.values()}
    with db.uow() as uow:
        book_loans = [ln for ln in uow.session.scalars(select(LoanRow).where(
            LoanRow.branch_id == officer.branch_id, LoanRow.status == "active",
            LoanRow.days_past_due == 0, LoanRow.five_category == "normal")
            .order_by(LoanRow.id)) if ln.borrower_id not in made][:2]
        wrong, late = book_loans
        uow.session.execute(update(LoanRow).where(LoanRow.id == wrong.id).values(
            days_past_due=100, five_category="normal"))
        uow.session.add(WarningCaseRow(
            borrower_id=late.borrower_id, branch_id=late.branch_id, level="red", level_rank=4,
            status="open", opened_on=ON - timedelta(days=10), last_seen_on=ON,
            deadline=ON - timedelta(days=9), assigned_to=officer.id, escalation=0,
            low_confidence_only=False, indicator_ids=["REP_DPD"], loan_ids=[late.id],
            top_indicator_id="REP_DPD", signal_count=1, versions={}))
        uow.commit()
        return Book(db, files, wrong.id, late.id)


@pytest.fixture
def made(book: Database) -> Book:
    return make_book(book)


def _run(db: Database, as_of: date = ON, who: str = "audit") -> dict[str, Any]:
    with db.uow() as uow:
        return sv.run_supervision(uow, user(db, who), as_of, today=ON)


def _findings(db: Database) -> list[FindingRow]:
    with db.uow() as uow:
        rows = list(uow.session.scalars(select(FindingRow).order_by(FindingRow.id)))
        for r in rows:
            uow.session.expunge(r)
        return rows


def _count(db: Database, table: Any) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _by_key(db: Database) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in _findings(db):
        out.setdefault(f.file_key, set()).add(f.check_id)
    return out


# --------------------------------------------------------------------------- the run


def test_run_finds_the_breaches_and_a_rerun_adds_nothing(made: Book) -> None:
    db = made.db
    with db.uow() as uow, pytest.raises(PermissionDenied):
        sv.run_supervision(uow, user(db, "officer1"), ON, today=ON)
    with db.uow() as uow, pytest.raises(InvalidInput) as err:
        sv.run_supervision(uow, user(db, "audit"), ON + timedelta(days=1), today=ON)
    assert err.value.field == "as_of"
    assert _count(db, SupervisionRunRow) == 0

    first = _run(db)
    found = _by_key(db)
    for name, (_, expected) in SPECS.items():
        assert found.get(made.files[name].key, set()) == expected, name
    assert found[f"loan:{made.misclassified}"] == {"SC08"}
    assert found[f"loan:{made.late_warning_loan}"] == {"SC09"}
    assert first["checks_applied"]["book"] == ["SC08", "SC09"]
    assert first["files"]["system"] == len(SPECS) and first["files"]["book"] == 300
    assert first["audit_chain"]["intact"] and "SC13" not in first["failed_by_check"]
    assert first["opened"] == len(_findings(db)) == sum(first["opened_by_check"].values())
    assert first["open_findings"]["by_check"]["SC06"] == 1

    rows = {(f.file_key, f.check_id): f for f in _findings(db)}
    sc06 = rows[(made.files["bad"].key, "SC06")]
    assert (sc06.severity, sc06.responsible, sc06.responsible_role) == (
        "critical", "officer1", "disburser")
    assert sc06.deadline == date(2026, 7, 7)  # 5 working days after Tuesday 30 June
    assert sc06.facts["read"] == {"disbursed": True, "registered_before_disbursement": False}
    assert rows[(made.files["bad"].key, "SC01")].responsible == "approver1"
    assert rows[(made.files["maker"].key, "SC02")].responsible == "officer1"
    book_loan = rows[(f"loan:{made.misclassified}", "SC08")]
    assert book_loan.facts["officer_source"] == "branch_rota" and \
        book_loan.responsible == "officer1"
    assert rows[(f"loan:{made.late_warning_loan}", "SC09")].responsible_role == \
        "warning_assignee"

    actions_before, audit_before = _count(db, FindingActionRow), _count(db, AuditRow)
    second = _run(db)
    assert second["opened"] == 0 and second["already_open"] == first["opened"]
    assert len(_findings(db)) == first["opened"]
    assert _count(db, FindingActionRow) == actions_before
    assert _count(db, AuditRow) == audit_before + 1  # the run's own record
    assert _count(db, SupervisionRunRow) == 2
    with db.uow() as uow:
        assert verify_chain(uow.session).intact


def test_an_edited_audit_record_opens_the_critical_audit_finding(made: Book) -> None:
    db = made.db
    _run(db)
    with db.uow() as uow:
        target = uow.session.scalar(select(AuditRow.id).order_by(AuditRow.id).offset(3).limit(1))
        uow.session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = :i"),
                            {"i": target})
        uow.commit()
    summary = _run(db)
    assert summary["audit_chain"]["intact"] is False
    assert summary["audit_chain"]["first_break"]["record_id"] == target
    audit = [f for f in _findings(db) if f.check_id == "SC13"]
    assert len(audit) == 1
    finding = audit[0]
    assert (finding.severity, finding.file_key, finding.responsible) == (
        "critical", "audit_log", "admin")
    assert finding.facts["read"]["audit_first_break_id"] == target
    assert summary["opened_by_check"] == {"SC13": 1}
    # the break stays where it is; running again adds nothing
    assert _run(db)["opened"] == 0


# --------------------------------------------------------------------------- lifecycle


def _one(db: Database, key: str, check: str) -> int:
    return next(f.id for f in _findings(db) if f.file_key == key and f.check_id == check)


def test_finding_lifecycle_with_maker_checker_on_closing(made: Book) -> None:
    db = made.db
    _run(db)
    fid = _one(db, made.files["bad"].key, "SC06")
    officer, audit, risk = user(db, "officer1"), user(db, "audit"), user(db, "risk")
    later = ON + timedelta(days=2)

    def act(fn: Any, who: CurrentUser, body: Any) -> dict[str, Any]:
        with db.uow() as uow:
            out: dict[str, Any] = fn(uow, who, fid, body, today=later)
            return out

    with pytest.raises(PermissionDenied):  # only the responsible person rectifies
        act(sv.start_rectification, audit, sv.NoteIn())
    with pytest.raises(NotFound):  # another branch does not even see it
        act(sv.start_rectification, user(db, "officer2"), sv.NoteIn())
    assert act(sv.start_rectification, officer, sv.NoteIn(note="补办抵押登记"))["status"] == \
        "rectifying"
    with pytest.raises(Conflict):
        act(sv.start_rectification, officer, sv.NoteIn())
    actions = _count(db, FindingActionRow)
    with pytest.raises(InvalidInput) as err:
        act(sv.record_rectification, officer, sv.RectifyIn(evidence=["  "]))
    assert err.value.field == "evidence" and _count(db, FindingActionRow) == actions
    assert act(sv.record_rectification, officer,
               sv.RectifyIn(evidence=["不动产登记证明 桂(2026)第0001号"]))["status"] == "rectified"
    for who in (officer, risk):  # neither the responsible person nor the risk department
        with pytest.raises(PermissionDenied):
            act(sv.close_finding, who, sv.NoteIn())
    with pytest.raises(InvalidInput) as err:
        act(sv.reopen_finding, audit, sv.ReopenIn(reason=" "))
    assert err.value.field == "reason"
    assert act(sv.close_finding, audit, sv.NoteIn(note="已验收"))["status"] == "closed"
    with db.uow() as uow:
        detail = sv.finding_detail(uow, officer, fid, today=later)
    assert detail["closed_by"] == "audit" and detail["rectified_on"] == later.isoformat()
    assert [h["action"] for h in detail["history"]] == ["open", "start", "rectify", "close"]
    assert detail["evidence"] == ["不动产登记证明 桂(2026)第0001号"]
    reopened = act(sv.reopen_finding, audit, sv.ReopenIn(
        reason="登记证明与合同不符", deadline=ON + timedelta(days=20)))
    assert reopened == {"id": fid, "status": "rectifying",
                        "deadline": (ON + timedelta(days=20)).isoformat()}
    # a closed historical breach is not reopened by a run; the reopened one stays open
    assert _run(db)["opened"] == 0

    # the supervisor who answers for a finding may not close it: another supervisor does
    with db.uow() as uow:
        add_user(uow, actor="test", username="audit2", full_name="稽核 王芳",
                 password_hash=hash_password("Xx-123456789"), role=Role.SUPERVISOR,
                 branch_id=None)
        uow.commit()
    with db.uow() as uow:
        own = sv.open_manual_finding(uow, audit, sv.ManualFindingIn(
            severity="low", title_zh="稽核台账未及时更新", responsible="audit",
            responsible_role="reviewer", deadline=ON + timedelta(days=5),
            task="补登稽核台账"), today=ON)["id"]
    with db.uow() as uow:
        sv.record_rectification(uow, audit, own, sv.RectifyIn(evidence=["台账第12页"]),
                                today=ON)
    with db.uow() as uow, pytest.raises(PermissionDenied) as denied:
        sv.close_finding(uow, audit, own, sv.NoteIn(), today=ON)
    assert "responsible" in denied.value.reason
    with db.uow() as uow:
        assert sv.close_finding(uow, user(db, "audit2"), own, sv.NoteIn(),
                                today=ON)["status"] == "closed"
    with db.uow() as uow:
        assert verify_chain(uow.session).intact


def test_manual_finding_refused_without_person_or_deadline_writes_nothing(made: Book) -> None:
    db = made.db
    audit = user(db, "audit")
    base = {"check_id": "SC05", "loan_id": made.files["clean"].loan_id,
            "task": "补做实地调查并存档照片", "deadline": ON + timedelta(days=10),
            "responsible": "officer1"}
    with db.uow() as uow:  # the shipped check set is installed (and audited) on first use
        sv.active_checkset(uow)
    counts = (_count(db, FindingRow), _count(db, FindingActionRow), _count(db, AuditRow))
    for missing in ("responsible", "deadline", "task"):
        with db.uow() as uow, pytest.raises(InvalidInput) as err:
            sv.open_manual_finding(uow, audit, sv.ManualFindingIn(
                **{**base, missing: None}), today=ON)
        assert err.value.field == missing
    for bad, where in (({"responsible": "nobody"}, "responsible"),
                       ({"deadline": ON - timedelta(days=1)}, "deadline"),
                       ({"check_id": "SC99"}, "check_id"), ({"loan_id": 999999}, "loan_id")):
        with db.uow() as uow, pytest.raises(InvalidInput) as err:
            sv.open_manual_finding(uow, audit, sv.ManualFindingIn(**{**base, **bad}),
                                   today=ON)
        assert err.value.field == where
    with db.uow() as uow, pytest.raises(PermissionDenied):
        sv.open_manual_finding(uow, user(db, "risk"), sv.ManualFindingIn(**base), today=ON)
    assert (_count(db, FindingRow), _count(db, FindingActionRow), _count(db, AuditRow)) == counts
    with db.uow() as uow:
        out = sv.open_manual_finding(uow, audit, sv.ManualFindingIn(**base), today=ON)
    row = next(f for f in _findings(db) if f.id == out["id"])
    assert (row.file_key, row.check_id, row.severity, row.responsible_role, row.run_id) == (
        made.files["clean"].key, "SC05", "high", "loan_officer", None)
    assert row.facts["source"] == "manual" and row.note == "补做实地调查并存档照片"


# --------------------------------------------------------------------------- samples


def test_samples_are_reproducible_by_seed(made: Book) -> None:
    db = made.db
    audit = user(db, "audit")

    def draw(method: str, n: int, s: int) -> dict[str, Any]:
        with db.uow() as uow:
            return sv.draw_sample(uow, audit, method, n, s, as_of=ON, today=ON)

    a, b, c = draw("random", 12, 7), draw("random", 12, 7), draw("random", 12, 8)
    keys = [i["file_key"] for i in a["items"]]
    assert keys == [i["file_key"] for i in b["items"]] and len(set(keys)) == 12
    assert keys != [i["file_key"] for i in c["items"]]
    assert {tuple(i["reasons"]) for i in a["items"]} == {("random",)}
    r1, r2 = draw("risk", 40, 3), draw("risk", 40, 3)
    assert [i["file_key"] for i in r1["items"]] == [i["file_key"] for i in r2["items"]]
    reasons = {reason for i in r1["items"] for reason in i["reasons"]}
    assert "exception" in reasons  # files failing checks weigh more
    assert _count(db, SupervisionSampleRow) == 5
    with db.uow() as uow, pytest.raises(InvalidInput) as err:
        sv.draw_sample(uow, audit, "hunch", 0, -1, today=ON)
    assert err.value.field == "method"
    with db.uow() as uow, pytest.raises(PermissionDenied):
        sv.draw_sample(uow, user(db, "officer1"), "random", 5, 1, today=ON)
    assert _count(db, SupervisionSampleRow) == 5
    with db.uow() as uow:
        listed = sv.get_sample(uow, audit, a["id"])
    assert listed["items"][0]["file_key"] == keys[0] and listed["population"] is None


# --------------------------------------------------------------------------- numbers


def test_accountability_and_statistics_on_a_small_case(made: Book) -> None:
    db = made.db
    first = _run(db)
    audit, officer = user(db, "audit"), user(db, "officer1")
    sc06 = _one(db, made.files["bad"].key, "SC06")
    sc05 = _one(db, made.files["bad"].key, "SC05")
    with db.uow() as uow:  # rectified late (deadline 7 July)
        sv.record_rectification(uow, officer, sc06, sv.RectifyIn(evidence=["登记证明"]),
                                today=date(2026, 7, 8))
    with db.uow() as uow:
        sv.record_rectification(uow, officer, sc05, sv.RectifyIn(evidence=["调查照片"]),
                                today=date(2026, 7, 1))
    with db.uow() as uow:
        sv.close_finding(uow, audit, sc05, sv.NoteIn(), today=date(2026, 7, 2))
    with db.uow() as uow:
        records = {r["username"]: r for r in sv.accountability(uow, audit,
                                                              as_of=date(2026, 8, 31))}
        mine = sv.accountability(uow, officer, as_of=date(2026, 8, 31))
    # officer1 answers for SC04 SC05 SC06 SC07 (bad), SC02 (maker), SC08 and SC09 (book)
    off = records["officer1"]
    assert off["findings"] == 7 and off["findings_critical"] == 2
    assert (off["rectified_on_time"], off["rectified_late"], off["closed"]) == (1, 1, 1)
    assert off["open"] == 5 and off["overdue"] == 5
    assert records["approver1"]["findings"] == 4  # SC01 (bad), SC10 SC11 SC12 (override)
    assert [r["username"] for r in mine] == ["officer1"] and mine[0] == off
    with db.uow() as uow:
        stats = sv.statistics(uow, audit, "branch_id", today=date(2026, 8, 31))
        by_officer = sv.statistics(uow, audit, "officer", today=date(2026, 8, 31))
    branch = next(r for r in stats["rows"] if r["branch_id"] == officer.branch_id)
    assert stats["run"]["id"] == first["run_id"]
    assert branch["findings"] == first["failed"] and branch["findings_critical"] == 2
    assert branch["overrides"] == 2  # the override file and the flagged one
    assert branch["warnings"] == 1 and branch["late_warnings"] == 1
    assert branch["median_verification_days"] is None  # never verified
    assert (branch["open_findings"], branch["closed_findings"]) == (first["opened"] - 1, 1)
    # past every deadline: all but the rectified and the closed one wait overdue
    assert branch["overdue_findings"] == first["opened"] - 2
    assert next(r for r in by_officer["rows"] if r["officer"] == "officer1")["files_checked"] \
        >= len(SPECS)
    for who in ("officer1", "trainer"):
        with db.uow() as uow, pytest.raises(PermissionDenied):
            sv.statistics(uow, user(db, who))
    with db.uow() as uow, pytest.raises(PermissionDenied):
        sv.accountability(uow, user(db, "trainer"))


def test_branch_scope_of_the_board(made: Book) -> None:
    db = made.db
    _run(db)
    with db.uow() as uow:
        everything = sv.list_findings(uow, user(db, "audit"), limit=500, today=ON)
        branch1 = sv.list_findings(uow, user(db, "reviewer1"), limit=500, today=ON)
        branch6 = sv.list_findings(uow, user(db, "officer2"), limit=500, today=ON)
        critical = sv.list_findings(uow, user(db, "audit"), severities=["critical"],
                                    today=ON)
        with pytest.raises(ServiceError) as err:
            sv.list_findings(uow, user(db, "audit"), statuses=["lost"])
    assert err.value.field == "status"
    assert everything["total"] == branch1["total"] > 0 and branch6["total"] == 0
    assert [i["severity"] for i in critical["items"]] == ["critical"] * critical["total"]
    ranks = [sv.FindingSeverity(i["severity"]).rank for i in everything["items"]]
    assert ranks == sorted(ranks, reverse=True)


def test_the_check_set_is_a_versioned_parameter_set(made: Book) -> None:
    """A draft check set is validated like the identification rules, activated by a second
    person, and the next run uses it (a disabled check finds nothing)."""
    from mortgage_risk.services import parameters

    db = made.db
    risk, modeller = user(db, "risk"), user(db, "modeller")
    with db.uow() as uow:
        content = parameters.active_content(uow, sv.KIND)
    broken = {**content, "version": "bad", "checks": [
        {**content["checks"][0], "condition": "decided and no_such_fact"}]}
    with db.uow() as uow, pytest.raises(InvalidInput) as err:
        parameters.create_draft(uow, risk, kind=sv.KIND, content=broken)
    assert err.value.field == "content.checks[SC01].condition"
    draft = {**content, "version": "supervision-checks-test",
             "checks": [{**c, "enabled": c["id"] != "SC06"} for c in content["checks"]]}
    with db.uow() as uow:
        parameters.create_draft(uow, risk, kind=sv.KIND, content=draft, notes="停用SC06")
    with db.uow() as uow, pytest.raises(PermissionDenied):
        parameters.activate(uow, risk, kind=sv.KIND, version="supervision-checks-test")
    with db.uow() as uow:
        parameters.activate(uow, modeller, kind=sv.KIND, version="supervision-checks-test")
    summary = _run(db)
    assert summary["checkset_version"] == "supervision-checks-test"
    assert "SC06" not in summary["failed_by_check"] and summary["failed_by_check"]["SC05"] == 1
    with db.uow() as uow:
        overview = sv.checkset_overview(uow, user(db, "audit"))
    assert overview["version"] == "supervision-checks-test"
    assert {v["status"] for v in overview["versions"]} == {"active", "retired"}


def test_findings_reach_the_responsible_persons_tasks(made: Book) -> None:
    from mortgage_risk.services.tasks import my_tasks

    db = made.db
    _run(db)
    mine = {(f.id, f.check_id) for f in _findings(db) if f.responsible == "approver1"}
    assert mine
    with db.uow() as uow:
        tasks = my_tasks(uow, user(db, "approver1"), today=ON)["sections"]["findings"]
    assert {(t["detail"]["finding_id"], t["subject"]) for t in tasks} == mine
    assert all(t["due"] for t in tasks)
