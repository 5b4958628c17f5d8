"""Warning cases: the monitoring run's warnings on the book, with the borrower's situation.

The book is written to Parquet in a temporary folder and put through the production nightly
run (:func:`mortgage_risk.monitoring.run.run_monitoring`, DuckDB) as of the library's date;
each case holds one borrower's signals (the engine input: the monitoring rules aggregate them
into the warning) and what the loan officer would see: the indicators with their values and
thresholds, the borrower, the loans and the external records. Levels are drawn in turn from
red to blue so every level is practised.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from mortgage_risk.domain import BorrowerSegment, EventType, PropertyType
from mortgage_risk.monitoring.handling import LEVELS
from mortgage_risk.monitoring.run import run_monitoring
from mortgage_risk.synth import write_parquet
from mortgage_risk.training.case import Case
from mortgage_risk.training.engine_calls import warning_of_case
from mortgage_risk.training.jsondata import jsonable
from mortgage_risk.training.source import Source, records

SIGNAL_FIELDS = ("indicator_id", "family", "scope", "value", "threshold", "raw_level", "level",
                 "level_rank", "confidence", "capped")


def monitoring_outputs(src: Source) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's signals and warnings for the book as of the library's date."""
    with tempfile.TemporaryDirectory(prefix="training-book-") as tmp:
        folder = Path(tmp)
        write_parquet(src.book, folder / "book")
        result = run_monitoring(folder / "book", folder / "out", src.as_of,
                                indicator_set=src.engines.indicators)
        return result.read("signals"), result.read("warnings")


def _signals(rows: list[dict[str, Any]], loan_refs: dict[int, int]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        loan = r.get("loan_id")
        out.append({"borrower_id": 1, "branch_id": 1,
                    "loan_id": None if loan is None else loan_refs[int(loan)],
                    **{k: r.get(k) for k in SIGNAL_FIELDS}})
    return out


def _material(src: Source, borrower_id: int, signals: list[dict[str, Any]],
              loan_refs: dict[int, int]) -> dict[str, Any]:
    b = src.borrowers[borrower_id]
    indicators = {i.id: i for i in src.engines.indicators.indicators}
    loans = []
    for loan_id, k in sorted(loan_refs.items(), key=lambda kv: kv[1]):
        loan = src.loans[loan_id]
        prop = src.properties[int(loan["property_id"])]
        loans.append({"ref": f"L{k}", "property_type": prop["property_type"],
                      "property_type_zh": PropertyType(prop["property_type"]).label_zh,
                      **{f: loan[f] for f in ("principal", "outstanding_principal",
                                              "days_past_due", "overdue_amount",
                                              "five_category", "status",
                                              "origination_date", "maturity_date")}})
    shown = []
    for s in signals:
        ind = indicators.get(str(s["indicator_id"]))
        shown.append({
            "indicator_id": s["indicator_id"], "family": s["family"], "scope": s["scope"],
            "loan": None if s["loan_id"] is None else f"L{s['loan_id']}",
            "value": s["value"], "confidence": s["confidence"],
            "name_zh": None if ind is None else ind.name_zh,
            "name_en": None if ind is None else ind.name_en,
            "direction": None if ind is None else ind.direction,
            "thresholds": None if ind is None else ind.thresholds.to_dict()})
    return {
        "borrower": {
            "name": src.anonymiser.name(borrower_id), "segment": b["segment"],
            "segment_zh": BorrowerSegment(b["segment"]).label_zh,
            "address": src.anonymiser.address(str(b["township"])),
            **{f: b[f] for f in ("household_income", "dependants", "other_monthly_debt",
                                 "bureau_overdue_accounts", "bureau_max_dpd_24m",
                                 "bureau_hard_inquiries_3m", "bureau_npl_elsewhere")}},
        "warning_date": src.as_of,
        "loans": loans,
        "external_records": [
            {"event_type": e["event_type"], "zh": EventType(e["event_type"]).label_zh,
             "en": EventType(e["event_type"]).label_en, "date": e["event_date"],
             "match": e["match_confidence"], "detail": src.scrub(str(e["detail"]))}
            for e in src.borrower_events(borrower_id, src.as_of)],
        "signals": shown,
    }


def _difficulty(src: Source, level: str) -> str:
    return str(src.config.cases.difficulty.get("warning_handling", {}).get(level, "medium"))


def warning_cases(src: Source, n: int) -> list[Case]:
    """Up to ``n`` warning cases, levels in turn from red to blue."""
    if n == 0:
        return []
    rng = src.rng("warning_handling")
    signals, warnings = monitoring_outputs(src)
    by_level: dict[str, list[int]] = {}
    for w in records(warnings.sort_values("borrower_id", kind="mergesort")):
        by_level.setdefault(str(w["level"]), []).append(int(w["borrower_id"]))
    queues = {lv: [ids[int(i)] for i in rng.permutation(len(ids))]
              for lv, ids in by_level.items()}
    order = _rotation(queues)
    sig_rows = records(signals.sort_values(["borrower_id", "indicator_id", "loan_id"],
                                           kind="mergesort"))
    topic = src.config.topic_of("warning_handling")
    cases: list[Case] = []
    for borrower_id in order[:n]:
        rows = [r for r in sig_rows if int(r["borrower_id"]) == borrower_id]
        own = sorted(int(loan["id"]) for loan in src.loans.values()
                     if int(loan["borrower_id"]) == borrower_id)
        loan_refs = {loan_id: k for k, loan_id in enumerate(own, start=1)}
        engine_input = jsonable({"opened_on": src.as_of, "signals": _signals(rows, loan_refs)})
        level = str(warning_of_case(engine_input)["level"])
        cases.append(Case(
            id=f"WRN-{src.seed}-{len(cases) + 1:03d}", type="warning_handling", topic=topic,
            difficulty=_difficulty(src, level),
            material=_material(src, borrower_id, engine_input["signals"], loan_refs),
            engine_input=engine_input))
    return cases


def _rotation(queues: dict[str, list[int]]) -> list[int]:
    """Borrowers taking one warning of each level in turn, from red to blue."""
    levels = [lv for lv in reversed(LEVELS) if queues.get(lv)]
    longest = max((len(queues[lv]) for lv in levels), default=0)
    out: list[int] = []
    for i in range(longest):
        out.extend(queues[lv][i] for lv in levels if i < len(queues[lv]))
    return out

