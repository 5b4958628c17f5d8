"""Ingestion: feed schemas, readers, validation of bad input, matching, connectors, pipeline."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mortgage_risk.domain import MatchConfidence
from mortgage_risk.domain.resident_id import check_character
from mortgage_risk.monitoring.ingest import (
    FEEDS,
    NAME_ONLY_LEVEL_CAP,
    RECORD_FIELD,
    UNMATCHED,
    BorrowerIndex,
    ConnectorError,
    FileConnector,
    HttpConnector,
    ImportReport,
    Malformed,
    accepted_columns,
    feed_docs,
    import_feed,
    read_csv,
    read_json,
)
from mortgage_risk.monitoring.ingest.validate import credit_code_check_char

AS_OF = date(2026, 6, 30)
RECEIVED = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
KNOWN_LOANS = frozenset({101, 102, 103})


def rid(prefix17: str) -> str:
    return prefix17 + check_character(prefix17)


ID_ZHANG = rid("45030219800101001")
ID_LI = rid("45030219850612002")
ID_ZHAO = rid("45030219900303003")
ID_STRANGER = rid("11010519700707005")  # valid, not a borrower
BAD_ID = ID_ZHANG[:17] + ("0" if ID_ZHANG[17] != "0" else "1")

BY_ID = {ID_ZHANG: 1, ID_LI: 2, ID_ZHAO: 5}
BY_NAME: dict[str, int | list[int]] = {"张三": 1, "李四": 2, "王五": [3, 4], "赵六": 5}

REPAYMENT_HEADER = "loan_id,period_no,due_date,amount_due,amount_paid,paid_date,days_past_due"
REPAYMENT_CSV = "\n".join([
    REPAYMENT_HEADER,
    "101,1,2026-01-20,3000.00,3000.00,2026-01-20,0",      # 2 good
    '101,2,2026-02-20,3000.00,"1,500.00",2026-02-25,5',   # 3 good (grouped digits)
    "999,1,2026-01-20,3000.00,3000.00,2026-01-20,0",      # 4 unknown loan
    "102,1,2026-01-20,3000.00,-5.00,2026-01-20,0",        # 5 negative amount
    "102,2,2026-02-20,3000.00,3000.00,2027-01-01,0",      # 6 future date
    "101,1,2026-01-20,3000.00,3000.00,2026-01-20,0",      # 7 duplicate of line 2
    '103,1,"2026-01-20,3000.00,3000.00,2026-01-20,0',     # 8 broken quoting
    "103,2,,3000.00,0,,0",                                # 9 missing due_date
    "103,3,2026-03-20,abc,0,,0",                          # 10 malformed amount
    "102,3,2026-03-20,3000.00,3000.00,2026-03-21,1",      # 11 good
    "",
])


def _import_repayments(source: Any, known_keys: Any = ()) -> ImportReport:
    return import_feed("repayments", source, as_of=AS_OF, known_loans=KNOWN_LOANS,
                       known_keys=known_keys)


def _by_line(items: list[Any]) -> dict[int, Any]:
    return {r.line: r for r in items}


@pytest.fixture()
def repayment_csv(tmp_path: Path) -> Path:
    path = tmp_path / "repayments.csv"
    path.write_text(REPAYMENT_CSV, encoding="utf-8")
    return path


# --- bad input -----------------------------------------------------------------------------


def test_each_bad_repayment_is_quarantined_with_line_and_field(repayment_csv: Path) -> None:
    report = _import_repayments(repayment_csv)
    assert sorted(report.accepted["source_line"]) == [2, 3, 11]
    rejected = _by_line(report.rejected)
    assert {line: r.field for line, r in rejected.items()} == {
        4: "loan_id", 5: "amount_paid", 6: "paid_date", 8: RECORD_FIELD, 9: "due_date",
        10: "amount_due"}
    assert "unknown loan 999" in rejected[4].reason
    assert "negative" in rejected[5].reason
    assert "future" in rejected[6].reason
    assert "quoting" in rejected[8].reason
    assert "required" in rejected[9].reason
    assert "number" in rejected[10].reason
    assert rejected[5].raw == {"loan_id": "102", "period_no": "1", "due_date": "2026-01-20",
                               "amount_due": "3000.00", "amount_paid": "-5.00",
                               "paid_date": "2026-01-20", "days_past_due": "0"}
    assert [(d.line, d.field) for d in report.duplicates] == [(7, "loan_id,period_no")]
    assert "line 2" in report.duplicates[0].reason
    assert report.counts == {"total": 10, "accepted": 3, "rejected": 6, "duplicates": 1}
    quarantine = report.quarantine_frame()
    assert list(quarantine["line"]) == [4, 5, 6, 7, 8, 9, 10]
    assert set(quarantine["kind"]) == {"rejected", "duplicate"}


def test_accepted_repayments_are_typed_like_the_table(repayment_csv: Path) -> None:
    report = _import_repayments(repayment_csv)
    frame = report.accepted
    assert list(frame.columns) == accepted_columns(FEEDS["repayments"])
    row = frame.loc[frame["source_line"] == 3].iloc[0]
    assert row["loan_id"] == 101 and row["period_no"] == 2
    assert row["amount_paid"] == Decimal("1500.00")
    assert row["paid_date"] == date(2026, 2, 25)
    assert str(frame["loan_id"].dtype) == "Int64"
    assert report.new_keys == {(101, 1), (101, 2), (102, 3)}


def test_reimport_of_the_same_file_adds_nothing(repayment_csv: Path) -> None:
    first = _import_repayments(repayment_csv)
    again = _import_repayments(repayment_csv, known_keys=first.new_keys)
    assert again.accepted.empty
    assert again.new_keys == frozenset()
    assert {d.line for d in again.duplicates} == {2, 3, 7, 11}
    assert all("already imported" in d.reason for d in again.duplicates)
    assert [r.line for r in again.rejected] == [r.line for r in first.rejected]
    clean = FileConnector(repayment_csv)
    assert _import_repayments(clean, known_keys=first.new_keys).counts["accepted"] == 0


def test_conflicting_copy_in_the_same_file_is_rejected_and_the_first_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("\n".join([REPAYMENT_HEADER,
                               "101,1,2026-01-20,3000,3000,2026-01-20,0",
                               "101,1,2026-01-20,3000,2000,2026-01-20,0"]) + "\n")
    report = _import_repayments(path)
    assert list(report.accepted["amount_paid"]) == [Decimal("3000.00")]
    assert report.rejected[0].line == 3 and "different values" in report.rejected[0].reason


def test_payment_without_a_date_and_other_cross_field_problems(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("\n".join([REPAYMENT_HEADER,
                               "101,1,2026-01-20,3000,3000,,0",
                               "101,2,2026-02-20,3000,12.345,2026-02-20,0",
                               "101,3,2026-02-30,3000,0,,0",
                               "101,4,2026-04-20,3000,0,,0,extra"]) + "\n")
    rejected = _by_line(_import_repayments(path).rejected)
    assert rejected[2].field == "paid_date" and "required when" in rejected[2].reason
    assert rejected[3].field == "amount_paid" and "decimal places" in rejected[3].reason
    assert rejected[4].field == "due_date" and "calendar date" in rejected[4].reason
    assert rejected[5].field == RECORD_FIELD and "8 fields" in rejected[5].reason


def test_every_problem_of_a_record_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(REPAYMENT_HEADER + "\n101,0,2099-01-01,-1,x,,0\n")
    rejection = _import_repayments(path).rejected[0]
    assert [f for f, _ in rejection.problems] == ["period_no", "due_date", "amount_due",
                                                  "amount_paid"]
    assert rejection.field == "period_no"


def test_a_line_in_the_wrong_encoding_spoils_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    header = "source,source_record_id,event_date,subject_name,utility,arrears_amount," \
             "months_in_arrears\n"
    good = "县供电公司,E1,2026-06-01,张三,electricity,120.5,2\n"
    gbk = "县供电公司,E2,2026-06-01,李四,electricity,80,1\n".encode("gbk")
    path.write_bytes(header.encode() + good.encode() + gbk + good.replace("E1", "E3").encode())
    report = import_feed("utility_arrears", path, as_of=AS_OF, borrowers_by_id=BY_ID,
                         borrowers_by_name=BY_NAME, received_at=RECEIVED)
    assert sorted(report.accepted["source_line"]) == [2, 4]
    assert report.rejected[0].line == 3 and "utf-8" in report.rejected[0].reason


def test_broken_json_lines_and_bad_resident_id_in_an_event_feed(tmp_path: Path) -> None:
    path = tmp_path / "enforcement.jsonl"
    lines = [
        {"source": "zxgk", "source_record_id": "Z1", "event_date": "2026-05-01",
         "subject_name": "张三", "subject_resident_id": ID_ZHANG, "record_type": "judgment_debtor",
         "case_no": "(2026)桂0302执100号", "amount": 50000},
        '{"source": "zxgk", "source_record_id": "Z2", "event_date": ',
        {"source": "zxgk", "source_record_id": "Z3", "event_date": "2026-05-02",
         "subject_name": "李四", "subject_resident_id": BAD_ID, "record_type": "judgment_debtor",
         "case_no": "(2026)桂0302执101号"},
        {"source": "zxgk", "source_record_id": "Z4", "event_date": "2026-05-03",
         "subject_name": "赵六", "record_type": "seizure", "case_no": "(2026)桂0302执102号"},
        ["not", "an", "object"],
        {"source": "zxgk", "source_record_id": "Z5", "event_date": "2026-05-04",
         "subject_name": "李四", "record_type": "spending_restriction",
         "case_no": "(2026)桂0302执103号"},
    ]
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
                              for x in lines) + "\n", encoding="utf-8")
    report = import_feed("court_enforcement", path, as_of=AS_OF, borrowers_by_id=BY_ID,
                         borrowers_by_name=BY_NAME, received_at=RECEIVED)
    assert sorted(report.accepted["source_line"]) == [1, 6]
    rejected = _by_line(report.rejected)
    assert rejected[2].field == RECORD_FIELD and "invalid JSON" in rejected[2].reason
    assert rejected[3].field == "subject_resident_id" and "check digit" in rejected[3].reason
    assert rejected[4].field == "record_type" and "allowed" in rejected[4].reason
    assert rejected[5].field == RECORD_FIELD and "JSON object" in rejected[5].reason


def test_broken_element_of_a_json_array_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        "[\n"
        '  {"loan_id": 101, "period_no": 1, "due_date": "2026-01-20", "amount_due": 3000,\n'
        '   "amount_paid": 3000, "paid_date": "2026-01-20"},\n'
        '  {"loan_id": 101, "period_no": 2, "due_date": "2026-02-20" "amount_due": 1},\n'
        '  {"loan_id": 102, "period_no": 1, "due_date": "2026-01-20", "amount_due": 3000,\n'
        '   "amount_paid": 0}\n'
        "]\n", encoding="utf-8")
    items = list(read_json(path))
    assert [line for line, _ in items] == [2, 4, 5]
    assert isinstance(items[1][1], Malformed)
    report = _import_repayments(path)
    assert sorted(report.accepted["source_line"]) == [2, 5]
    assert report.rejected[0].line == 4


def test_an_unclosed_element_does_not_swallow_the_next_line(tmp_path: Path) -> None:
    # the parser stops exactly at the "{" that opens line 2: that element must still be read
    path = tmp_path / "u.json"
    path.write_text('[{"a": 1, "b": 2,\n{"a": 3},\n{"a": 4}]\n', encoding="utf-8")
    items = list(read_json(path))
    assert [line for line, _ in items] == [1, 2, 3]
    assert isinstance(items[0][1], Malformed)
    assert [rec for _, rec in items[1:]] == [{"a": 3}, {"a": 4}]


def test_csv_header_is_line_one_and_a_bad_header_spoils_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,a\n1,2\n")
    assert [(line, type(rec).__name__) for line, rec in read_csv(path)] == [(1, "Malformed")]
    path.write_text("\ufeffa,b\n\n1,2\n")
    assert list(read_csv(path)) == [(3, {"a": "1", "b": "2"})]


def test_known_loans_are_required_for_repayments(repayment_csv: Path) -> None:
    with pytest.raises(ValueError, match="known_loans"):
        import_feed("repayments", repayment_csv, as_of=AS_OF)


# --- matching ------------------------------------------------------------------------------


def _lawsuit(record_id: str, name: str, resident_id: str | None = None) -> dict[str, object]:
    record: dict[str, object] = {
        "source": "wenshu", "source_record_id": record_id, "event_date": "2026-04-01",
        "subject_name": name, "record_type": "judgment", "role": "defendant",
        "case_no": f"(2026)桂0302民初{record_id}号"}
    if resident_id is not None:
        record["subject_resident_id"] = resident_id
    return record


def _rows_by_record_id(report: ImportReport) -> dict[str, dict[str, Any]]:
    return {str(row["source_record_id"]): {str(k): v for k, v in row.items()}
            for row in report.accepted.to_dict("records")}


def test_matching_by_id_name_only_and_unmatched() -> None:
    masked_li = ID_LI[:6] + "*" * 8 + ID_LI[14:]
    masked_other = ID_ZHAO[:6] + "*" * 8 + ID_ZHAO[14:]
    records = [
        _lawsuit("1", "张三", ID_ZHANG),        # by ID
        _lawsuit("2", "李 四"),                 # name only (spaces ignored)
        _lawsuit("3", "王五"),                  # two borrowers of that name
        _lawsuit("4", "张三", ID_STRANGER),     # same name, another person's ID
        _lawsuit("5", "李四", masked_li),       # masked ID agrees: name only
        _lawsuit("6", "李四", masked_other),    # masked ID disagrees
        _lawsuit("7", "无名氏"),                # nobody
    ]
    report = import_feed("lawsuits", records, as_of=AS_OF, borrowers_by_id=BY_ID,
                         borrowers_by_name=BY_NAME, received_at=RECEIVED)
    rows = _rows_by_record_id(report)
    assert rows["1"]["match_confidence"] == MatchConfidence.RESIDENT_ID.value
    assert rows["1"]["borrower_id"] == 1
    assert pd.isna(rows["1"]["level_cap"])
    for name_only in ("2", "5"):
        assert rows[name_only]["match_confidence"] == MatchConfidence.NAME_ONLY.value
        assert rows[name_only]["borrower_id"] == 2
        assert rows[name_only]["level_cap"] == NAME_ONLY_LEVEL_CAP
    for unmatched in ("3", "4", "6", "7"):
        assert rows[unmatched]["match_confidence"] == UNMATCHED
        assert pd.isna(rows[unmatched]["borrower_id"])
    assert "ambiguous" in rows["3"]["match_note"]
    assert "not a borrower" in rows["4"]["match_note"]
    assert rows["5"]["subject_resident_id_masked"] == masked_li
    assert pd.isna(rows["5"]["subject_resident_id"])
    assert report.counts["match_resident_id"] == 1
    assert report.counts["match_name_only"] == 2
    assert report.counts["match_unmatched"] == 4
    assert set(report.accepted["event_type"]) == {"lawsuit"}
    assert json.loads(rows["1"]["payload"])["role"] == "defendant"


def test_credit_bureau_matches_by_id_only_and_needs_a_licensed_source() -> None:
    base = {"event_date": "2026-06-01", "authorisation_ref": "AUTH-1", "overdue_accounts": 1,
            "npl_elsewhere": "否"}
    records = [
        {**base, "source": "baihang", "source_record_id": "B1", "subject_name": "张三",
         "subject_resident_id": ID_ZHANG},
        {**base, "source": "pudao", "source_record_id": "B2", "subject_name": "李四",
         "subject_resident_id": ID_STRANGER},
        {**base, "source": "some_platform", "source_record_id": "B3", "subject_name": "张三",
         "subject_resident_id": ID_ZHANG},
        {**base, "source": "pboc_crc", "source_record_id": "B4", "subject_name": "李四"},
    ]
    report = import_feed("credit_bureau", records, as_of=AS_OF, borrowers_by_id=BY_ID,
                         borrowers_by_name=BY_NAME, received_at=RECEIVED)
    rows = _rows_by_record_id(report)
    assert rows["B1"]["match_confidence"] == "resident_id"
    assert rows["B2"]["match_confidence"] == UNMATCHED  # name 李四 is never enough
    assert rows["B1"]["npl_elsewhere"] is False
    assert {(r.line, r.field) for r in report.rejected} == {(3, "source"),
                                                            (4, "subject_resident_id")}


def test_borrower_index_normalises_names() -> None:
    index = BorrowerIndex({}, {"阿卜杜·热合曼": 9})
    match = index.match(name="阿卜杜•热合曼", resident_id=None)
    assert match.borrower_id == 9 and match.confidence is MatchConfidence.NAME_ONLY
    assert index.match(name="阿卜杜·热合曼", resident_id=None,
                       allow_name_only=False).borrower_id is None


def test_events_without_a_record_id_are_keyed_by_content() -> None:
    record = {"source": "county_water", "event_date": "2026-06-01", "subject_name": "赵六",
              "utility": "water", "arrears_amount": "88.00", "months_in_arrears": 3}
    first = import_feed("utility_arrears", [record, dict(record)], as_of=AS_OF,
                        received_at=RECEIVED)
    assert first.counts == {"total": 2, "accepted": 1, "rejected": 0, "duplicates": 1,
                            "match_unmatched": 1}
    record_id = first.accepted.iloc[0]["source_record_id"]
    assert record_id.startswith("sha256:")
    again = import_feed("utility_arrears", [record], as_of=AS_OF, known_keys=first.new_keys,
                        received_at=RECEIVED)
    assert again.accepted.empty and again.duplicates_skipped == 1


def test_registry_feed_checks_the_credit_code_and_maps_event_types() -> None:
    code = "91450302MA5K" + "00001"
    code += credit_code_check_char(code)
    base = {"source": "gsxt", "event_date": "2026-03-01", "subject_name": "张三",
            "subject_resident_id": ID_ZHANG, "company_name": "某某农机有限公司",
            "subject_role": "legal_representative"}
    records = [
        {**base, "source_record_id": "G1", "record_type": "abnormal_operation_listed",
         "credit_code": code},
        {**base, "source_record_id": "G2", "record_type": "legal_rep_change"},
        {**base, "source_record_id": "G3", "record_type": "deregistration",
         "credit_code": code[:17] + ("0" if code[17] != "0" else "1")},
    ]
    report = import_feed("business_registry", records, as_of=AS_OF, borrowers_by_id=BY_ID,
                         received_at=RECEIVED)
    assert dict(zip(report.accepted["source_record_id"], report.accepted["event_type"],
                    strict=True)) == {"G1": "abnormal_operation", "G2": "business_registry_change"}
    assert report.rejected[0].field == "credit_code"


def test_house_price_index_feed(tmp_path: Path) -> None:
    path = tmp_path / "hpi.csv"
    path.write_text("month,city,house_type,segment,value\n"
                    "2026-05,桂林,二手房,整体,98.7\n"
                    "2026/6,桂林,二手房,整体,98.5\n"
                    "2026-07,桂林,二手房,整体,98.1\n"
                    "2026-05,桂林,二手房,别墅,99\n"
                    "2026-04,桂林,新房,整体,0\n", encoding="utf-8")
    report = import_feed("house_price_index", path, as_of=AS_OF)
    assert list(report.accepted["month"]) == ["2026-05", "2026-06"]
    assert {r.line: r.field for r in report.rejected} == {4: "month", 5: "segment", 6: "value"}
    assert report.new_keys == {("2026-05", "桂林", "二手房", "整体"),
                               ("2026-06", "桂林", "二手房", "整体")}


# --- schemas -------------------------------------------------------------------------------


def test_every_feed_and_field_is_documented() -> None:
    docs = feed_docs()
    expected = {"repayments", "court_enforcement", "dishonest_debtors", "lawsuits",
                "business_registry", "credit_bureau", "utility_arrears", "house_price_index"}
    assert set(FEEDS) == expected
    sections = docs.split("\n## ")[1:]
    assert len(sections) == len(FEEDS)
    for feed, section in zip(FEEDS.values(), sections, strict=True):
        assert section.startswith(f"`{feed.name}`")
        assert feed.zh in section and feed.en in section
        for spec in feed.fields:
            assert f"| `{spec.name}` | {spec.type.value} |" in section
            assert spec.zh and spec.en
            for value in spec.allowed:
                assert f"`{value}`" in section
        for key in feed.key:
            assert f"`{key}`" in section


# --- formats -------------------------------------------------------------------------------


GOOD_ROWS: list[dict[str, Any]] = [
    {"loan_id": 101, "period_no": 1, "due_date": date(2026, 1, 20), "amount_due": 3000.5,
     "amount_paid": 3000.5, "paid_date": date(2026, 1, 20), "days_past_due": 0},
    {"loan_id": 101, "period_no": 2, "due_date": date(2026, 2, 20), "amount_due": 3000.5,
     "amount_paid": 0.0, "paid_date": None, "days_past_due": 130},
    {"loan_id": 103, "period_no": 7, "due_date": date(2026, 3, 20), "amount_due": 1234.56,
     "amount_paid": 1000.0, "paid_date": date(2026, 3, 29), "days_past_due": None},
]


def _write_all_formats(tmp_path: Path) -> dict[str, Path]:
    paths = {fmt: tmp_path / f"r.{fmt}" for fmt in ("csv", "parquet", "jsonl", "json")}
    with open(paths["csv"], "w", encoding="utf-8") as fh:
        fh.write(REPAYMENT_HEADER + "\n")
        for row in GOOD_ROWS:
            fh.write(",".join("" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)
                              for v in row.values()) + "\n")
    pq.write_table(pa.Table.from_pylist(GOOD_ROWS), paths["parquet"])
    jsonable = [{k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}
                for row in GOOD_ROWS]
    paths["jsonl"].write_text("\n".join(json.dumps(r) for r in jsonable) + "\n")
    paths["json"].write_text(json.dumps(jsonable, indent=2))
    return paths


def test_csv_parquet_and_json_give_identical_accepted_rows(tmp_path: Path) -> None:
    frames = {fmt: _import_repayments(path).accepted
              for fmt, path in _write_all_formats(tmp_path).items()}
    assert all(len(f) == 3 for f in frames.values())
    reference = frames["csv"].drop(columns="source_line")
    for fmt in ("parquet", "jsonl", "json"):
        pd.testing.assert_frame_equal(frames[fmt].drop(columns="source_line"), reference)
    assert list(frames["csv"]["source_line"]) == [2, 3, 4]
    assert list(frames["parquet"]["source_line"]) == [1, 2, 3]
    assert list(frames["json"]["source_line"]) == [2, 11, 20]
    assert frames["csv"]["days_past_due"].tolist() == [0, 130, 0]


def test_a_reimport_in_another_format_adds_nothing(tmp_path: Path) -> None:
    paths = _write_all_formats(tmp_path)
    first = _import_repayments(paths["csv"])
    assert _import_repayments(paths["parquet"], known_keys=first.new_keys).accepted.empty


# --- HTTP ----------------------------------------------------------------------------------


def _event(i: int) -> dict[str, object]:
    return {"source": "zxgk", "source_record_id": f"H{i}", "event_date": "2026-05-01",
            "subject_name": "张三", "subject_resident_id": ID_ZHANG,
            "record_type": "listed", "case_no": f"(2026)桂执{i}号"}


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[dict[str, int]] = {}
    token = "Bearer secret-token"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.headers.get("Authorization") != self.token:
            self._send(401, {"error": "unauthorised"})
        elif url.path == "/linked":
            cursor = int(query.get("cursor", "0"))
            if cursor == 1 and self.hits[self.path] == 1:
                self._send(500, {"error": "try again"})
                return
            body: dict[str, object] = {"data": [_event(cursor * 2 + 1), _event(cursor * 2 + 2)]}
            if cursor < 2:
                body["next"] = f"/linked?cursor={cursor + 1}"
            self._send(200, body)
        elif url.path == "/paged":
            page = int(query["page"])
            records = [_event(page * 10 + i) for i in range(2)] if page <= 3 else []
            self._send(200, {"records": records, "total_pages": 3})
        elif url.path == "/broken":
            self._send(500, {"error": "down"})
        elif url.path == "/foreign":
            self._send(200, {"data": [_event(1)], "next": "http://example.invalid/steal"})
        else:
            self._send(404, {"error": "no such page"})


@pytest.fixture()
def server() -> Iterator[str]:
    _Handler.hits = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _no_sleep(seconds: float) -> None:
    pass


def test_http_connector_follows_next_links_and_retries_after_a_500(server: str) -> None:
    sleeps: list[float] = []
    connector = HttpConnector(f"{server}/linked", auth_header=_Handler.token, retries=2,
                              backoff=0.01, sleep=sleeps.append)
    records = list(connector.records())
    assert [n for n, _ in records] == [1, 2, 3, 4, 5, 6]
    assert [r["source_record_id"] for _, r in records if isinstance(r, dict)] == [
        f"H{i}" for i in range(1, 7)]
    assert _Handler.hits["/linked?cursor=1"] == 2
    assert sleeps == [0.01]
    located = connector.locate(3)
    assert located is not None and located[0].endswith("/linked?cursor=1") and located[1] == 1
    assert "secret-token" not in repr(connector)


def test_http_connector_with_a_page_parameter_feeds_the_pipeline(server: str) -> None:
    connector = HttpConnector(f"{server}/paged", auth_header=_Handler.token, page_param="page",
                              sleep=_no_sleep)
    report = import_feed("dishonest_debtors", connector, as_of=AS_OF, borrowers_by_id=BY_ID,
                         received_at=RECEIVED)
    assert report.counts["accepted"] == 6
    assert set(report.accepted["match_confidence"]) == {"resident_id"}
    assert "/paged?page=4" not in _Handler.hits  # total_pages ends it
    again = import_feed("dishonest_debtors", connector, as_of=AS_OF, borrowers_by_id=BY_ID,
                        known_keys=report.new_keys, received_at=RECEIVED)
    assert again.accepted.empty and again.duplicates_skipped == 6


def test_http_connector_gives_up_and_refuses_bad_pages(server: str) -> None:
    broken = HttpConnector(f"{server}/broken", auth_header=_Handler.token, retries=2,
                           sleep=_no_sleep)
    with pytest.raises(ConnectorError, match="HTTP 500 after 3 attempts"):
        list(broken.records())
    assert _Handler.hits["/broken"] == 3
    with pytest.raises(ConnectorError, match="HTTP 401"):
        list(HttpConnector(f"{server}/linked", sleep=_no_sleep).records())
    assert _Handler.hits["/linked"] == 1  # a 401 is not retried
    foreign = HttpConnector(f"{server}/foreign", auth_header=_Handler.token, sleep=_no_sleep)
    with pytest.raises(ConnectorError, match="leaves"):
        list(foreign.records())


# --- properties ----------------------------------------------------------------------------

_BAD_KINDS = ("unknown_loan", "negative", "future", "missing", "garbage", "malformed",
              "bad_loan_id")


@st.composite
def _repayment_items(draw: st.DrawFn) -> list[object]:
    items: list[object] = []
    for _ in range(draw(st.integers(0, 40))):
        row: dict[str, object] = {
            "loan_id": draw(st.sampled_from(sorted(KNOWN_LOANS))),
            "period_no": draw(st.integers(1, 6)),
            "due_date": draw(st.dates(date(2020, 1, 1), AS_OF)).isoformat(),
            "amount_due": str(draw(st.integers(0, 500_000)) / 100),
            "amount_paid": str(draw(st.sampled_from([0, 100, 3000]))),
            "paid_date": AS_OF.isoformat(),
        }
        kind = draw(st.sampled_from(("good", "good", "good", *_BAD_KINDS)))
        if kind == "unknown_loan":
            row["loan_id"] = 999
        elif kind == "negative":
            row["amount_paid"] = "-1"
        elif kind == "future":
            row["paid_date"] = "2031-01-01"
        elif kind == "missing":
            del row["due_date"]
        elif kind == "garbage":
            row["period_no"] = "x"
        elif kind == "bad_loan_id":
            row["loan_id"] = "10l"
        items.append(Malformed("broken line") if kind == "malformed" else row)
    return items


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_repayment_items())
def test_every_record_lands_once_and_no_key_is_accepted_twice(items: list[object]) -> None:
    numbered = list(enumerate(items, start=1))
    report = _import_repayments(numbered)
    c = report.counts
    assert c["accepted"] + c["rejected"] + c["duplicates"] == c["total"] == len(items)
    keys = list(zip(report.accepted["loan_id"], report.accepted["period_no"], strict=True))
    assert len(keys) == len(set(keys)) == len(report.new_keys)
    lines = ([*report.accepted["source_line"]] + [r.line for r in report.rejected]
             + [d.line for d in report.duplicates])
    assert sorted(lines) == list(range(1, len(items) + 1))
    again = _import_repayments(numbered, known_keys=report.new_keys)
    assert again.accepted.empty
    assert again.counts["rejected"] + again.counts["duplicates"] == len(items)
