"""Classification cases: a few live loans of the book with their repayment histories.

Each loan carries what the classification run reads: days past due, status, overdue amount,
its recent repayment rows, the events on file (some drawn from the monitoring policy's
overrides: the book holds none) and the class of the previous quarter's run (the engine's
class at that date, from the days past due the history shows then).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from mortgage_risk.domain import FiveCategory, PropertyType
from mortgage_risk.monitoring.classification import EPS, classify_one
from mortgage_risk.training.case import Case
from mortgage_risk.training.engine_calls import classify_case
from mortgage_risk.training.jsondata import jsonable
from mortgage_risk.training.source import Record, Source

FOCUS_ORDER = ("special_mention", "substandard", "loss", "doubtful", "normal")


def quarter_before(day: date) -> date:
    """The last day of the month three months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - 3
    y, m = divmod(index, 12)
    return date(y, m + 1, calendar.monthrange(y, m + 1)[1])


def dpd_on(rows: list[Record], day: date) -> int:
    """Days past due on ``day``: from the oldest instalment due and not fully paid by then."""
    unpaid = [r["due_date"] for r in rows if r["due_date"] <= day and not (
        r["paid_date"] is not None and r["paid_date"] <= day
        and float(r["amount_paid"]) >= float(r["amount_due"]) - EPS)]
    return (day - min(unpaid)).days if unpaid else 0


def _events(src: Source, rng: np.random.Generator, b: Record, ref: str, borrower: str
            ) -> list[dict[str, Any]]:
    draws = src.config.cases.classification_events
    overrides = src.engines.monitoring.event_overrides
    types: list[str] = []
    if b["bureau_npl_elsewhere"] and "npl_elsewhere" in overrides:
        types.append("npl_elsewhere")
    elif rng.random() < float(draws.get("share", 0.0)):
        known = [t for t in draws.get("types", []) if t in overrides]
        if known:
            types.append(known[int(rng.integers(len(known)))])
    out = []
    for t in types:
        when = src.as_of - timedelta(days=int(rng.integers(20, 330)))
        row: dict[str, Any] = {"event_type": t, "event_date": when}
        row["loan_id" if overrides[t].scope == "loan" else "borrower_id"] = (
            ref if overrides[t].scope == "loan" else borrower)
        out.append(row)
    return out


def _previous(src: Source, loan: Record, ref: str, borrower: str,
              events: list[dict[str, Any]]) -> str | None:
    """The engine's class at the previous quarter end (None for a loan not yet on book)."""
    day = quarter_before(src.as_of)
    if loan["origination_date"] > day:
        return None
    rows = src.repayments(int(loan["id"]))
    ended = max((r["due_date"] for r in rows), default=day)
    status = "written_off" if loan["status"] == "written_off" and ended < day else "active"
    history = pd.DataFrame([{**r, "loan_id": ref} for r in rows if r["due_date"] <= day])
    result = classify_one({"loan_id": ref, "borrower_id": borrower,
                           "days_past_due": dpd_on(rows, day), "status": status},
                          as_of=day, policy=src.engines.monitoring,
                          events=pd.DataFrame(events) if events else None,
                          repayments=history if len(history) else None)
    return result.category.value


def _loan(src: Source, rng: np.random.Generator, loan: Record, ref: str
          ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], str | None]:
    b = src.borrowers[int(loan["borrower_id"])]
    borrower = src.anonymiser.name(int(b["id"]))
    rows = [r for r in src.repayments(int(loan["id"])) if r["due_date"] <= src.as_of]
    rows = rows[-src.config.cases.history_periods:]
    history = [{"loan_id": ref, "period_no": r["period_no"], "due_date": r["due_date"],
                "amount_due": r["amount_due"], "amount_paid": r["amount_paid"],
                "paid_date": r["paid_date"]} for r in rows]
    events = _events(src, rng, b, ref, borrower)
    row = {"loan_id": ref, "borrower_id": borrower,
           "days_past_due": loan["days_past_due"], "status": loan["status"],
           "overdue_amount": loan["overdue_amount"],
           "outstanding_principal": loan["outstanding_principal"],
           "principal": loan["principal"], "annual_rate": loan["annual_rate"],
           "term_months": loan["term_months"], "repayment_method": loan["repayment_method"],
           "origination_date": loan["origination_date"],
           "maturity_date": loan["maturity_date"]}
    return row, history, events, _previous(src, loan, ref, borrower, events)


def _material(src: Source, loan: Record, row: dict[str, Any], history: list[dict[str, Any]],
              events: list[dict[str, Any]], previous: str | None) -> dict[str, Any]:
    b = src.borrowers[int(loan["borrower_id"])]
    prop = src.properties[int(loan["property_id"])]
    overrides = src.engines.monitoring.event_overrides
    return {**row, "segment": b["segment"], "property_type": prop["property_type"],
            "property_type_zh": PropertyType(prop["property_type"]).label_zh,
            "township": src.anonymiser.address(str(b["township"])),
            "previous_category": previous,
            "previous_category_zh": None if previous is None else FiveCategory(previous).label_zh,
            "repayments": [{k: v for k, v in r.items() if k != "loan_id"} for r in history],
            "events": [{**e, "zh": overrides[e["event_type"]].zh,
                        "en": overrides[e["event_type"]].en} for e in events]}


def _pick(src: Source, rng: np.random.Generator, n: int) -> list[list[Record]]:
    """``n`` groups of loans, each led by a loan of the next focus category."""
    pool = [loan for loan in src.loans.values()
            if loan["status"] != "settled" and loan["origination_date"] <= src.as_of]
    by_cat: dict[str, list[Record]] = {}
    for i in rng.permutation(len(pool)):
        loan = pool[int(i)]
        by_cat.setdefault(str(loan["five_category"]), []).append(loan)
    rest = [pool[int(i)] for i in rng.permutation(len(pool))]
    used: set[int] = set()
    size = src.config.cases.loans_per_classification_case
    focus = [c for c in FOCUS_ORDER if by_cat.get(c)]
    groups: list[list[Record]] = []
    for k in range(n):
        group: list[Record] = []
        lead = next((x for x in by_cat.get(focus[k % len(focus)], []) if x["id"] not in used),
                    None) if focus else None
        if lead is not None:
            group.append(lead)
            used.add(int(lead["id"]))
        for loan in rest:
            if len(group) >= size:
                break
            if loan["id"] not in used:
                group.append(loan)
                used.add(int(loan["id"]))
        if len(group) < size:
            break
        order = rng.permutation(len(group))
        groups.append([group[int(i)] for i in order])
    return groups


def _difficulty(src: Source, not_normal: int) -> str:
    cut = src.config.cases.difficulty.get("classification", {})
    if not_normal >= int(cut.get("hard", 3)):
        return "hard"
    return "medium" if not_normal >= int(cut.get("medium", 1)) else "easy"


def classification_cases(src: Source, n: int) -> list[Case]:
    """Up to ``n`` cases of ``loans_per_classification_case`` loans each."""
    rng = src.rng("classification")
    topic = src.config.topic_of("classification")
    cases: list[Case] = []
    for group in _pick(src, rng, n):
        loans, repayments, events, previous, shown = [], [], [], {}, []
        for j, loan in enumerate(group, start=1):
            ref = f"L{j}"
            row, history, evs, prev = _loan(src, rng, loan, ref)
            loans.append(row)
            repayments.extend(history)
            events.extend(evs)
            previous[ref] = prev
            shown.append(_material(src, loan, row, history, evs, prev))
        engine_input = jsonable({"as_of": src.as_of, "loans": loans, "repayments": repayments,
                                 "events": events, "previous": previous})
        expected = classify_case(engine_input, src.engines.monitoring)
        not_normal = sum(1 for r in expected.values() if r.category is not FiveCategory.NORMAL)
        cases.append(Case(
            id=f"CLS-{src.seed}-{len(cases) + 1:03d}", type="classification", topic=topic,
            difficulty=_difficulty(src, not_normal),
            material={"as_of": src.as_of, "loans": shown}, engine_input=engine_input))
    return cases

