"""Feed imports into the database, on SQLite and PostgreSQL: stored rows, quarantine with line
numbers, idempotency, matching, the audit chain, permissions, the house price index files.

The HTTP pull runs against the local server of the connector tests (tests/monitoring/
test_ingest.py), whose fixture is imported here rather than copied."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from mortgage_risk.datasets import load_house_price_index
from mortgage_risk.monitoring.run import hpi_frame
from mortgage_risk.services import imports
from mortgage_risk.services.errors import Conflict, InvalidInput, PermissionDenied
from mortgage_risk.services.users import CurrentUser, create_user
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import (
    AuditRow,
    BorrowerRow,
    BranchRow,
    ExternalEventRow,
    ImportBatchRow,
    ImportRejectionRow,
    LoanRow,
    PropertyRow,
    RepaymentRow,
)
from tests.helpers import resident_id
from tests.monitoring.test_ingest import ID_ZHANG, _Handler, server  # noqa: F401 (fixture)

AS_OF = date(2026, 6, 30)
PASSWORD = "Str0ng-password!"
ID_LI = resident_id("450302", "19850612", "002")
ID_WANG = resident_id("450302", "19900303", "003")
ID_STRANGER = resident_id("110105", "19700707", "005")
LOANS = (101, 102, 103)

HEADER = "loan_id,period_no,due_date,amount_due,amount_paid,paid_date,days_past_due"
GOOD_CSV = "\n".join([
    HEADER,
    "101,1,2026-01-20,3000.00,3000.00,2026-01-20,0",
    "101,2,2026-02-20,3000.00,2999.99,2026-02-25,5",
    "102,1,2026-01-20,2500.50,0,,31",
    "",
])
MIXED_CSV = "\n".join([
    HEADER,
    "102,2,2026-02-20,2500.50,2500.50,2026-02-20,0",     # 2 good
    "103,1,2026-01-20,1800.00,1800.00,2026-01-21,1",     # 3 good
    "999,1,2026-01-20,3000.00,3000.00,2026-01-20,0",     # 4 unknown loan
    "103,2,2026-02-20,1800.00,-5.00,2026-02-20,0",       # 5 negative amount
    "103,3,2026-03-20,1800.00,1800.00,2026-12-01,0",     # 6 paid after the as-of date
    "102,2,2026-02-20,2500.50,2500.50,2026-02-20,0",     # 7 duplicate of line 2
    '103,4,"2026-04-20,1800.00,1800.00,2026-04-20,0',    # 8 malformed (broken quoting)
    "101,1,2026-01-20,3000.00,3000.00,2026-01-20,0",     # 9 already imported
    "103,5,2026-05-20,1800.00,1800.00,2026-05-20,0",     # 10 good
    "",
])


# --------------------------------------------------------------------------- the small book


def seed_book(db: Database) -> dict[str, CurrentUser]:
    """A branch, four borrowers (two named 王五), three loans and one user per role."""
    with db.uow() as uow:
        branch = BranchRow(code="B01", name_zh="城关信用社", name_en="Chengguan branch",
                           kind="county_town", township="城关镇")
        uow.session.add(branch)
        uow.session.flush()
        people = [("张三", ID_ZHANG), ("李四", ID_LI), ("王五", ID_WANG),
                  ("王五", resident_id("450302", "19920404", "004"))]
        borrowers = []
        for name, rid in people:
            row = BorrowerRow(resident_id=rid, name=name, segment="farmer", township="城关镇",
                              branch_id=branch.id, birth_date=date(1985, 1, 1),
                              household_income=Decimal("80000.00"))
            uow.session.add(row)
            borrowers.append(row)
        uow.session.flush()
        for loan_id, borrower in zip(LOANS, borrowers, strict=False):
            prop = PropertyRow(owner_id=borrower.id, property_type="urban_housing",
                               land_nature="state_granted", structure="brick_concrete",
                               floor_area=Decimal("96.50"), land_area=Decimal("20.00"),
                               township="城关镇", address=f"城关镇解放路{loan_id}号",
                               registration_status="registered",
                               appraised_value=Decimal("420000.00"), appraisal_date=AS_OF)
            uow.session.add(prop)
            uow.session.flush()
            uow.session.add(LoanRow(
                id=loan_id, contract_no=f"C{loan_id}", borrower_id=borrower.id,
                property_id=prop.id, branch_id=branch.id, principal=Decimal("300000.00"),
                term_months=120, annual_rate=Decimal("0.045"),
                repayment_method="equal_installment", origination_date=date(2025, 12, 20),
                maturity_date=date(2035, 12, 20), status="active",
                outstanding_principal=Decimal("290000.00"), overdue_amount=Decimal("0.00"),
                days_past_due=0, five_category="normal", as_of=AS_OF))
        uow.session.flush()
        users = {}
        for username, role, branch_code in (("risk", "risk_manager", None),
                                            ("admin", "admin", None),
                                            ("officer", "loan_officer", "B01"),
                                            ("audit", "supervisor", None)):
            users[username] = create_user(uow, actor="test", username=username,
                                          full_name=f"测试 {username}", password=PASSWORD,
                                          role=role, branch_code=branch_code)
        uow.commit()
    return users


@pytest.fixture
def book(database: Database) -> tuple[Database, dict[str, CurrentUser]]:
    return database, seed_book(database)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _import(db: Database, user: CurrentUser, feed: str, source: Any,
            **kwargs: Any) -> imports.ImportSummary:
    with db.uow() as uow:
        return imports.import_feed_into_db(uow, actor=user, feed=feed, source=source,
                                           as_of=AS_OF, **kwargs)


def _count(db: Database, model: type, *where: Any) -> int:
    with db.uow() as uow:
        stmt = select(func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)
        return int(uow.session.scalar(stmt) or 0)


def _repayments(db: Database) -> dict[tuple[int, int], RepaymentRow]:
    with db.uow() as uow:
        rows = {(r.loan_id, r.period_no): r for r in uow.session.scalars(select(RepaymentRow))}
        uow.session.expunge_all()  # keep the loaded values after the block rolls back
        return rows


def _rejections(db: Database, batch_id: int) -> dict[int, ImportRejectionRow]:
    with db.uow() as uow:
        rows = uow.session.scalars(select(ImportRejectionRow).where(
            ImportRejectionRow.batch_id == batch_id))
        found = {r.line: r for r in rows if r.line is not None}
        uow.session.expunge_all()
        return found


# --------------------------------------------------------------------------- repayments


def test_good_repayments_are_stored_and_a_reimport_adds_nothing(
        book: tuple[Database, dict[str, CurrentUser]], tmp_path: Path) -> None:
    db, users = book
    path = _write(tmp_path, "repayments.csv", GOOD_CSV)
    audits = _count(db, AuditRow)
    ticks: list[tuple[str, int, int]] = []
    first = _import(db, users["risk"], "repayments", path,
                    progress=lambda *tick: ticks.append(tick))
    assert (first.accepted, first.rejected, first.duplicates) == (3, 0, 0)
    assert ticks[-3:] == [("check", 3, 3), ("write", 0, 3), ("write", 3, 3)]
    assert ("read", 3, 3) in ticks
    assert first.batch.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert first.batch.source == str(path) and first.batch.imported_by == "risk"
    stored = _repayments(db)
    assert set(stored) == {(101, 1), (101, 2), (102, 1)}
    assert stored[(101, 2)].amount_paid == Decimal("2999.99")
    assert stored[(102, 1)].paid_date is None and stored[(102, 1)].days_past_due == 31
    assert _count(db, AuditRow) == audits + 1

    again = _import(db, users["admin"], "repayments", path)
    assert (again.accepted, again.rejected, again.duplicates) == (0, 0, 3)
    assert again.batch_id != first.batch_id
    assert len(_repayments(db)) == 3
    quarantine = _rejections(db, again.batch_id)
    assert sorted(quarantine) == [2, 3, 4]
    assert {r.kind for r in quarantine.values()} == {"duplicate"}
    assert all("already imported" in r.reason for r in quarantine.values())
    assert _count(db, ImportBatchRow) == 2 and _count(db, AuditRow) == audits + 2


def test_bad_repayments_are_quarantined_by_line_and_the_good_ones_kept(
        book: tuple[Database, dict[str, CurrentUser]], tmp_path: Path) -> None:
    db, users = book
    _import(db, users["risk"], "repayments", _write(tmp_path, "first.csv", GOOD_CSV))
    summary = _import(db, users["risk"], "repayments", _write(tmp_path, "mixed.csv",
                                                               MIXED_CSV))
    assert summary.batch.total == 9
    assert (summary.accepted, summary.rejected, summary.duplicates) == (3, 4, 2)
    assert set(_repayments(db)) == {(101, 1), (101, 2), (102, 1), (102, 2), (103, 1), (103, 5)}
    quarantine = _rejections(db, summary.batch_id)
    expected = {
        4: ("rejected", "loan_id", "unknown loan 999"),
        5: ("rejected", "amount_paid", "must not be negative"),
        6: ("rejected", "paid_date", "in the future"),
        7: ("duplicate", "loan_id,period_no", "duplicate of line 2"),
        8: ("rejected", "<record>", "broken CSV quoting"),
        9: ("duplicate", "loan_id,period_no", "already imported"),
    }
    assert sorted(quarantine) == sorted(expected)
    for line, (kind, field, reason) in expected.items():
        row = quarantine[line]
        assert (row.kind, row.field) == (kind, field), line
        assert reason in row.reason, (line, row.reason)
    assert '"loan_id": "999"' in quarantine[4].raw
    assert quarantine[8].raw.startswith('103,4,"2026-04-20')
    # the summary lists what needs fixing first, then the duplicates
    assert [r.line for r in summary.rejections] == [4, 5, 6, 8, 7, 9]
    with db.uow() as uow:
        batch = uow.session.get(ImportBatchRow, summary.batch_id)
        assert batch is not None
        assert (batch.total, batch.accepted, batch.rejected, batch.duplicates) == (9, 3, 4, 2)


def test_every_problem_of_a_record_is_named(book: tuple[Database, dict[str, CurrentUser]],
                                            tmp_path: Path) -> None:
    db, users = book
    path = _write(tmp_path, "bad.csv", f"{HEADER}\n101,3,2027-03-20,-1,abc,,0\n")
    summary = _import(db, users["risk"], "repayments", path)
    reason = _rejections(db, summary.batch_id)[2].reason
    assert reason.startswith("2027-03-20 is in the future")
    assert "also amount_due: must not be negative" in reason
    assert "amount_paid: expected a number" in reason
    assert _repayments(db) == {}


def test_files_that_cannot_be_read_write_nothing(book: tuple[Database, dict[str, CurrentUser]],
                                                 tmp_path: Path) -> None:
    db, users = book
    audits = _count(db, AuditRow)
    garbage = tmp_path / "repayments.parquet"
    garbage.write_bytes(b"this is not a parquet file at all")
    with pytest.raises(InvalidInput) as not_parquet:
        _import(db, users["risk"], "repayments", garbage)
    assert not_parquet.value.field == "file" and "repayments.parquet" in not_parquet.value.reason
    with pytest.raises(InvalidInput) as no_suffix:
        _import(db, users["risk"], "repayments", _write(tmp_path, "repayments.xls", GOOD_CSV))
    assert no_suffix.value.field == "format"
    with pytest.raises(InvalidInput) as missing:
        _import(db, users["risk"], "repayments", tmp_path / "nowhere.csv")
    assert missing.value.field == "file"
    with pytest.raises(InvalidInput) as feed:
        _import(db, users["risk"], "weather", _write(tmp_path, "w.csv", GOOD_CSV))
    assert feed.value.field == "feed" and "repayments" in feed.value.reason
    assert _count(db, ImportBatchRow) == 0 and _count(db, AuditRow) == audits
    assert _repayments(db) == {}


def test_malformed_lines_are_quarantined_and_a_bad_header_spoils_the_file(
        book: tuple[Database, dict[str, CurrentUser]], tmp_path: Path) -> None:
    db, users = book
    broken_json = "\n".join([
        "[",
        '{"loan_id": 101, "period_no": 1, "due_date": "2026-01-20", "amount_due": "3000.00",'
        ' "amount_paid": "3000.00", "paid_date": "2026-01-20"},',
        '{"loan_id": 101, "period_no": 2, "due_date": "2026-02-20", "amount_due": 30x0},',
        '{"loan_id": 102, "period_no": 1, "due_date": "2026-01-20", "amount_due": "2500.50",'
        ' "amount_paid": "2500.50", "paid_date": "2026-01-21", "days_past_due": 1}',
        "]",
    ])
    summary = _import(db, users["risk"], "repayments", _write(tmp_path, "r.json", broken_json))
    assert (summary.accepted, summary.rejected) == (2, 1)
    bad = _rejections(db, summary.batch_id)[3]
    assert bad.field == "<record>" and "invalid JSON" in bad.reason
    assert set(_repayments(db)) == {(101, 1), (102, 1)}

    header = _write(tmp_path, "h.csv", "loan_id,loan_id,period_no\n101,101,3\n")
    spoilt = _import(db, users["risk"], "repayments", header)
    assert (spoilt.batch.total, spoilt.accepted, spoilt.rejected) == (1, 0, 1)
    assert "repeats column" in _rejections(db, spoilt.batch_id)[1].reason
    assert len(_repayments(db)) == 2


def test_a_key_stored_meanwhile_is_a_conflict_and_nothing_is_kept(
        book: tuple[Database, dict[str, CurrentUser]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db, users = book
    path = _write(tmp_path, "repayments.csv", GOOD_CSV)
    _import(db, users["risk"], "repayments", path)
    # as if another import had stored these keys after this one read the stored keys
    monkeypatch.setattr(imports.ImportRepository, "repayment_keys", lambda self, ids=None: set())
    with pytest.raises(Conflict, match="another import"):
        _import(db, users["risk"], "repayments", path)
    assert _count(db, ImportBatchRow) == 1 and len(_repayments(db)) == 3


# --------------------------------------------------------------------------- events


def _lawsuit(record_id: str, name: str, rid: str | None = None) -> dict[str, object]:
    record: dict[str, object] = {
        "source": "wenshu", "source_record_id": record_id, "event_date": "2026-04-01",
        "subject_name": name, "record_type": "judgment", "role": "defendant",
        "case_no": f"(2026)桂0302民初{record_id}号", "amount": "12000"}
    if rid is not None:
        record["subject_resident_id"] = rid
    return record


def _events(db: Database) -> dict[str, ExternalEventRow]:
    with db.uow() as uow:
        rows = {str(e.source_record_id): e for e in uow.session.scalars(select(ExternalEventRow))}
        uow.session.expunge_all()
        return rows


def _borrower_id(db: Database, rid: str) -> int:
    with db.uow() as uow:
        row = uow.borrowers.by_resident_id(rid)
        assert row is not None
        return row.id


def test_events_are_matched_by_resident_id_or_kept_low_confidence(
        book: tuple[Database, dict[str, CurrentUser]]) -> None:
    db, users = book
    records = [
        _lawsuit("L1", "张三", ID_ZHANG),       # by resident ID
        _lawsuit("L2", "李四"),                 # name only: capped at blue
        _lawsuit("L3", "王五"),                 # two borrowers of that name: unmatched
        _lawsuit("L4", "张三", ID_STRANGER),    # same name, another person's ID: unmatched
        {**_lawsuit("L5", "赵六"), "event_date": "2026-09-01"},   # future: rejected
    ]
    summary = _import(db, users["risk"], "lawsuits", records, source_name="test:lawsuits")
    assert (summary.accepted, summary.rejected) == (4, 1)
    assert summary.match_counts == {"resident_id": 1, "name_only": 1, "unmatched": 2}
    events = _events(db)
    assert set(events) == {"L1", "L2", "L3", "L4"}
    by_id, name_only = events["L1"], events["L2"]
    assert by_id.borrower_id == _borrower_id(db, ID_ZHANG)
    assert by_id.match_confidence == "resident_id" and by_id.level_cap is None
    assert name_only.borrower_id == _borrower_id(db, ID_LI)
    assert name_only.match_confidence == "name_only" and name_only.level_cap == "blue"
    for unmatched in ("L3", "L4"):
        assert events[unmatched].borrower_id is None
        assert events[unmatched].match_confidence == "unmatched"
    assert events["L3"].payload is not None and "ambiguous" in events["L3"].payload["match_note"]
    assert by_id.event_type == "lawsuit" and by_id.sub_type == "judgment"
    assert by_id.payload == {"amount": "12000", "case_no": "(2026)桂0302民初L1号",
                             "feed": "lawsuits", "record_type": "judgment", "role": "defendant"}
    assert {e.import_batch_id for e in events.values()} == {summary.batch_id}
    assert _rejections(db, summary.batch_id)[5].field == "event_date"

    again = _import(db, users["risk"], "lawsuits", records)
    assert (again.accepted, again.rejected, again.duplicates) == (0, 1, 4)
    assert len(_events(db)) == 4


def test_credit_bureau_records_never_match_by_name(
        book: tuple[Database, dict[str, CurrentUser]]) -> None:
    db, users = book
    base = {"source": "pboc_crc", "event_date": "2026-06-01", "authorisation_ref": "AUTH-7",
            "overdue_accounts": 2, "npl_elsewhere": "否"}
    records = [{**base, "source_record_id": "C1", "subject_name": "李四",
                "subject_resident_id": ID_LI},
               {**base, "source_record_id": "C2", "subject_name": "李四",
                "subject_resident_id": ID_STRANGER}]
    summary = _import(db, users["risk"], "credit_bureau", records)
    assert summary.accepted == 2
    events = _events(db)
    assert events["C1"].match_confidence == "resident_id"
    assert events["C2"].borrower_id is None and events["C2"].match_confidence == "unmatched"


def test_events_without_a_record_id_reimport_as_duplicates(
        book: tuple[Database, dict[str, CurrentUser]], tmp_path: Path) -> None:
    db, users = book
    lines = [json.dumps({k: v for k, v in _lawsuit(str(i), "张三", ID_ZHANG).items()
                         if k != "source_record_id"}, ensure_ascii=False) for i in range(3)]
    path = _write(tmp_path, "lawsuits.jsonl", "\n".join(lines) + "\n")
    assert _import(db, users["risk"], "lawsuits", path).accepted == 3
    assert all(key.startswith("sha256:") for key in _events(db))
    assert _import(db, users["risk"], "lawsuits", path).duplicates == 3
    assert len(_events(db)) == 3


def test_an_http_pull_is_stored_once(book: tuple[Database, dict[str, CurrentUser]],
                                     server: str) -> None:  # noqa: F811
    db, users = book
    url = f"{server}/paged"
    first = _import(db, users["risk"], "dishonest_debtors", url, page_param="page",
                    auth_header=_Handler.token)
    assert (first.batch.total, first.accepted) == (6, 6)
    assert first.batch.source == url and first.match_counts == {"resident_id": 6}
    assert {e.borrower_id for e in _events(db).values()} == {_borrower_id(db, ID_ZHANG)}
    again = _import(db, users["risk"], "dishonest_debtors", url, page_param="page",
                    auth_header=_Handler.token)
    assert (again.accepted, again.duplicates) == (0, 6)
    assert again.batch.sha256 == first.batch.sha256
    with pytest.raises(InvalidInput, match="HTTP 401") as refused:
        _import(db, users["risk"], "dishonest_debtors", url, page_param="page")
    assert refused.value.field == "url"
    assert _count(db, ImportBatchRow) == 2 and len(_events(db)) == 6


# --------------------------------------------------------------------------- safeguards


def test_the_audit_chain_holds_one_record_per_batch(
        book: tuple[Database, dict[str, CurrentUser]], tmp_path: Path) -> None:
    db, users = book
    path = _write(tmp_path, "mixed.csv", MIXED_CSV)
    summary = _import(db, users["risk"], "repayments", path)
    _import(db, users["admin"], "lawsuits", [_lawsuit("A1", "张三", ID_ZHANG)])
    with db.uow() as uow:
        report = verify_chain(uow.session)
        assert report.intact, report.first_break
        entries = list(uow.session.scalars(select(AuditRow).where(
            AuditRow.entity == "import_batch").order_by(AuditRow.id)))
        uow.session.expunge_all()
    assert [(e.actor, e.action) for e in entries] == [("risk", "import"), ("admin", "import")]
    after = entries[0].after
    assert after is not None
    assert after["feed"] == "repayments"
    assert after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (after["accepted"], after["rejected"], after["duplicates"]) == (4, 4, 1)
    assert entries[0].entity_id == str(summary.batch_id)


def test_only_risk_managers_and_admins_import(book: tuple[Database, dict[str, CurrentUser]],
                                              tmp_path: Path) -> None:
    db, users = book
    path = _write(tmp_path, "repayments.csv", GOOD_CSV)
    audits = _count(db, AuditRow)
    for who in ("officer", "audit"):
        with pytest.raises(PermissionDenied, match="risk_manager"):
            _import(db, users[who], "repayments", path)
    assert _count(db, ImportBatchRow) == 0 and _count(db, AuditRow) == audits
    summary = _import(db, users["risk"], "repayments", path)
    with db.uow() as uow:
        listed = imports.list_batches(uow, actor=users["audit"])
        assert [b.id for b in listed] == [summary.batch_id]
        with pytest.raises(PermissionDenied):
            imports.list_batches(uow, actor=users["officer"])
        with pytest.raises(PermissionDenied):
            imports.get_batch(uow, actor=users["officer"], batch_id=summary.batch_id)


def test_resident_ids_are_masked_in_what_is_shown(
        book: tuple[Database, dict[str, CurrentUser]]) -> None:
    db, users = book
    bad = {**_lawsuit("M1", "张三", ID_ZHANG), "record_type": "appeal"}
    summary = _import(db, users["risk"], "lawsuits", [bad])
    shown = summary.rejections[0]
    assert ID_ZHANG not in shown.raw and imports.mask_ids(ID_ZHANG) in shown.raw
    with db.uow() as uow:
        stored = uow.session.scalar(select(ImportRejectionRow.raw))
        detail = imports.get_batch(uow, actor=users["audit"], batch_id=summary.batch_id)
    assert stored is not None and ID_ZHANG in stored  # the quarantine keeps the record as read
    assert ID_ZHANG not in json.dumps(detail.to_dict(), ensure_ascii=False)
    assert detail.rejections_total == 1 and detail.rejections[0].field == "record_type"


# --------------------------------------------------------------------------- house price index


def test_house_price_index_goes_to_the_files_the_monitoring_run_reads(
        book: tuple[Database, dict[str, CurrentUser]], tmp_path: Path) -> None:
    db, users = book
    var = tmp_path / "var"
    csv = "\n".join([
        "month,city,house_type,segment,value,source",
        "2026-05,桂林,二手房,整体,93.5,NBS",
        "2026-06,桂林,二手房,整体,92.25,NBS",
        "2026-06,南宁,新房,整体,95.1,NBS",
        "2026-07,桂林,二手房,整体,91.0,NBS",       # after the as-of month
        "2026-04,桂林,二手房,整体,0,NBS",          # not above zero
        "2025-06,桂林,二手房,整体,88.8,NBS",       # a packaged month: the import wins
        "",
    ])
    path = _write(tmp_path, "hpi.csv", csv)
    summary = _import(db, users["risk"], "house_price_index", path, var_dir=var)
    assert (summary.accepted, summary.rejected) == (4, 2)
    assert {r.line: r.field for r in summary.rejections} == {5: "month", 6: "value"}
    store = pd.read_parquet(var / "market" / "house_price_index.parquet")
    assert len(store) == 4 and set(store["import_batch_id"]) == {summary.batch_id}
    run_input = var / "book" / "house_price_index.parquet"
    assert sorted(summary.files) == sorted([str(var / "market" / "house_price_index.parquet"),
                                            str(run_input)])
    series = pd.read_parquet(run_input)
    assert set(series["city"]) == {"桂林"} and series["month"].is_unique
    packaged = load_house_price_index("桂林", "二手房", "整体")
    assert series["month"].max() == "2026-06" and packaged["month"].max() < pd.Period("2026-05")
    # the packaged series, with the imported months after it
    assert list(series["month"]) == [str(m) for m in packaged["month"]] + ["2026-05", "2026-06"]
    assert list(series.loc[series["month"] == "2026-06", "value"]) == [92.25]
    assert list(series.loc[series["month"] == "2025-06", "value"]) == [88.8]
    levels = hpi_frame(AS_OF, index=series)
    assert levels.loc[levels["month_ord"] == 2026 * 12 + 6, "level"].iloc[0] == pytest.approx(
        92.25)

    again = _import(db, users["risk"], "house_price_index", path, var_dir=var)
    assert (again.accepted, again.duplicates, again.files) == (0, 4, [])
    assert len(pd.read_parquet(var / "market" / "house_price_index.parquet")) == 4
    assert not list(var.rglob("*.tmp"))


def test_house_price_index_outside_the_proxy_leaves_the_run_input_alone(
        book: tuple[Database, dict[str, CurrentUser]], tmp_path: Path) -> None:
    db, users = book
    var = tmp_path / "var"
    table = pa.table({"month": ["2026-06"], "city": ["南宁"], "house_type": ["新房"],
                      "segment": ["90-144m2"], "value": [101.2]})
    pq.write_table(table, tmp_path / "nanning.parquet")
    summary = _import(db, users["risk"], "house_price_index", tmp_path / "nanning.parquet",
                      var_dir=var)
    assert summary.accepted == 1
    assert not (var / "book" / "house_price_index.parquet").exists()
    assert summary.files == [str(var / "market" / "house_price_index.parquet")]
