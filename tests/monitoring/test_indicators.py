"""Indicators on a small hand-made book: each fires exactly as designed.

The book (as of 2026-06-30) has one loan per borrower, 2,000 a month due on the 15th from
2024-07-15, all paid on the due date unless a case says otherwise; urban housing in the county
town (mortgage-rate cap 0.7), appraised at 500,000 in 2025-03, balance 250,000 (LTV 0.5). The
index is flat at 100 to 2024-12 and 75 from 2025-01, so only collateral appraised before 2025
has fallen and the year-on-year change at the as-of date is nil.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mortgage_risk.monitoring.indicators import (
    FAMILIES,
    IndicatorError,
    IndicatorSet,
    SqlContext,
    Thresholds,
    add_months,
    capped_rank,
    indicator_counts_sql,
    indicator_id_sql,
    indicator_rows_sql,
    indicator_sql,
    level_rank,
    load_indicator_set,
    render_sql,
    view_sql,
)
from mortgage_risk.monitoring.run import run_monitoring

AS_OF = date(2026, 6, 30)
ORIG = date(2024, 6, 15)
N_PERIODS = 24  # 2024-07-15 .. 2026-06-15


def _due(k: int, start: date = ORIG) -> date:
    due: date = add_months(start, k)
    return due


class Book:
    """Builder of the seven input tables."""

    def __init__(self) -> None:
        self.loans: list[dict[str, Any]] = []
        self.borrowers: list[dict[str, Any]] = []
        self.properties: list[dict[str, Any]] = []
        self.repayments: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def add(
        self,
        i: int,
        *,
        name: str | None = None,
        paid: dict[int, tuple[date | None, float]] | None = None,
        loan: dict[str, Any] | None = None,
        borrower: dict[str, Any] | None = None,
        prop: dict[str, Any] | None = None,
        origination: date = ORIG,
        periods: int = N_PERIODS,
        amount: float = 2000.0,
    ) -> None:
        self.borrowers.append(
            {
                "id": i,
                "resident_id": f"45032119800101{i:04d}",
                "name": name or f"借款人{i:03d}",
                "segment": "salaried_private",
                "township": "城关镇",
                "branch_id": 1,
                "birth_date": date(1980, 1, 1),
                "household_income": 240000.0,
                "dependants": 0,
                "bureau_overdue_accounts": 0,
                "bureau_max_dpd_24m": 0,
                "bureau_hard_inquiries_3m": 0,
                "bureau_npl_elsewhere": False,
                "other_monthly_debt": 0.0,
                **(borrower or {}),
            }
        )
        self.properties.append(
            {
                "id": i,
                "owner_id": i,
                "property_type": "urban_housing",
                "appraised_value": 500000.0,
                "appraisal_date": date(2025, 3, 1),
                "seized": False,
                "registration_status": "registered",
                **(prop or {}),
            }
        )
        self.loans.append(
            {
                "id": i,
                "contract_no": f"C{i:04d}",
                "application_id": i,
                "borrower_id": i,
                "property_id": i,
                "branch_id": 1,
                "officer_id": None,
                "principal": 300000.0,
                "term_months": 240,
                "annual_rate": 0.045,
                "repayment_method": "equal_installment",
                "origination_date": origination,
                "maturity_date": add_months(origination, 240),
                "status": "active",
                "outstanding_principal": 250000.0,
                "overdue_amount": 0.0,
                "days_past_due": 0,
                "five_category": "normal",
                "as_of": AS_OF,
                **(loan or {}),
            }
        )
        paid = paid or {}
        for k in range(1, periods + 1):
            due = _due(k, origination)
            pay_date, pay_amt = paid.get(k, (due, amount))
            self.repayments.append(
                {
                    "loan_id": i,
                    "period_no": k,
                    "due_date": due,
                    "amount_due": amount,
                    "amount_paid": pay_amt if pay_date is not None else 0.0,
                    "paid_date": pay_date,
                    "days_past_due": 0,
                }
            )

    def event(
        self,
        borrower_id: int | None,
        event_type: str,
        event_date: date,
        *,
        name: str = "",
        confidence: str = "resident_id",
    ) -> None:
        self.events.append(
            {
                "id": len(self.events) + 1,
                "borrower_id": borrower_id,
                "event_type": event_type,
                "event_date": event_date,
                "source": "test",
                "subject_name": name,
                "subject_resident_id": None if confidence == "name_only" else "x",
                "match_confidence": confidence,
                "detail": "",
            }
        )

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        frames = {
            "loans": pd.DataFrame(self.loans),
            "borrowers": pd.DataFrame(self.borrowers),
            "properties": pd.DataFrame(self.properties),
            "repayments": pd.DataFrame(self.repayments),
            "external_events": pd.DataFrame(self.events),
            "applications": pd.DataFrame({"id": [1], "borrower_id": [1]}),
            "branches": pd.DataFrame(
                {"id": [1, 2], "code": ["B1", "B2"], "kind": ["county_town", "village"]}
            ),
        }
        frames["loans"]["officer_id"] = frames["loans"]["officer_id"].astype("Int64")
        frames["external_events"]["borrower_id"] = frames["external_events"][
            "borrower_id"
        ].astype("Int64")
        for name, frame in frames.items():
            for col in frame.columns:
                if col.endswith("_date") or col in ("as_of", "birth_date"):
                    frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ms]")
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        return folder


def hpi_step(level_after: float, step: str) -> pd.DataFrame:
    months = pd.period_range("2014-01", "2026-06", freq="M")
    values = [100.0 if m < pd.Period(step, "M") else level_after for m in months]
    return pd.DataFrame({"month": months, "value": values})


def late(k: int, days: int) -> tuple[date, float]:
    return (_due(k) + timedelta(days=days), 2000.0)


UNPAID = (None, 0.0)


def build_book() -> Book:
    b = Book()
    b.add(1)  # clean
    b.add(2, paid={23: UNPAID, 24: UNPAID})  # 46 DPD
    b.add(3, paid=dict.fromkeys((21, 22, 23, 24), UNPAID))  # 107 DPD
    b.add(4, paid={19: late(19, 10), 20: late(20, 10), 21: late(21, 10)})
    b.add(5, paid={k: (_due(k), 1000.0) for k in (22, 23, 24)})  # partial payments
    fpd_orig = date(2026, 1, 20)
    b.add(6, origination=fpd_orig, periods=5, paid={1: UNPAID})  # first payment default
    b.add(8, borrower={"bureau_hard_inquiries_3m": 7})
    b.add(9, borrower={"bureau_npl_elsewhere": True})
    b.add(10, borrower={"household_income": 60000.0, "other_monthly_debt": 1500.0})
    b.add(11)
    b.event(11, "dishonest_debtor", date(2026, 3, 1))
    b.event(11, "dishonest_debtor", date(2026, 3, 1))  # the same record received twice
    b.event(11, "lawsuit", date(2025, 11, 2))
    b.add(12, name="王名唯")
    b.event(None, "dishonest_debtor", date(2026, 4, 1), name="王名唯", confidence="name_only")
    b.add(13, name="张伟")
    b.add(14, name="张伟")
    b.event(None, "dishonest_debtor", date(2026, 4, 1), name="张伟", confidence="name_only")
    b.add(15)
    b.event(15, "court_enforcement", date(2026, 2, 1), name="借款人015", confidence="name_only")
    b.add(16)
    b.event(16, "business_deregistration", date(2026, 5, 5))
    b.event(16, "abnormal_operation", date(2025, 9, 9))
    b.add(17)
    b.event(17, "abnormal_operation", date(2023, 1, 1))  # outside the 24-month look-back
    b.add(18, loan={"outstanding_principal": 450000.0}, borrower={"segment": "salaried_public",
                                                                  "township": "龙江镇"})
    b.add(19, prop={"seized": True})
    b.add(20, prop={"appraisal_date": date(2024, 6, 1)})  # urban: -20%
    b.add(21, prop={"appraisal_date": date(2024, 6, 1), "property_type": "rural_house",
                    "appraised_value": 400000.0}, loan={"outstanding_principal": 150000.0})
    b.add(22)
    b.event(22, "death_or_illness", date(2026, 1, 10))
    b.add(23, loan={"repayment_method": "interest_only_bullet", "outstanding_principal": 300000.0,
                    "maturity_date": date(2026, 9, 15)})
    b.add(24, loan={"five_category": "substandard"})
    for i in (25, 26):
        b.add(i, loan={"officer_id": 7})
    b.add(27, loan={"officer_id": 7}, paid={23: UNPAID, 24: UNPAID})
    farm = {"segment": "farmer", "township": "石门镇"}
    b.add(28, borrower=farm, loan={"outstanding_principal": 400000.0})
    b.add(29, borrower=farm, loan={"outstanding_principal": 100000.0},
          paid={23: UNPAID, 24: UNPAID})
    b.add(30, loan={"status": "settled", "outstanding_principal": 0.0},
          paid={23: UNPAID, 24: UNPAID})
    b.add(31)
    b.event(31, "dishonest_debtor", date(2026, 7, 15))  # after the as-of date
    b.add(32, paid={24: (date(2026, 7, 2), 2000.0)})  # paid after the as-of date
    b.add(33, prop={"property_type": "rural_house", "appraised_value": 500000.0},
          loan={"outstanding_principal": 410000.0})  # LTV 0.82 against a cap of 0.5
    return b


def handmade_set() -> IndicatorSet:
    iset = load_indicator_set()
    params = {**iset.parameters, "officer_min_loans": 3, "segment_min_loans": 2,
              "large_balance": 390000}
    return replace(iset, parameters=params)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("handmade")
    inputs = build_book().write(root / "in")
    result = run_monitoring(inputs, root / "out", AS_OF, indicator_set=handmade_set(),
                            hpi=hpi_step(75.0, "2025-01"))
    return {n: result.read(n) for n in ("indicator_values", "signals", "warnings")}


def _signal(outputs: dict[str, pd.DataFrame], indicator: str, borrower: int) -> pd.Series:
    s = outputs["signals"]
    rows = s[(s.indicator_id == indicator) & (s.borrower_id == borrower)]
    assert len(rows) == 1, f"{indicator} for borrower {borrower}: {len(rows)} signals"
    return rows.iloc[0]


def _value(outputs: dict[str, pd.DataFrame], indicator: str, borrower: int) -> float | None:
    v = outputs["indicator_values"]
    rows = v[(v.indicator_id == indicator) & (v.borrower_id == borrower)]
    return None if rows.empty else float(rows["value"].iloc[0])


EXPECTED: list[tuple[str, int, float, str]] = [
    ("REP_CUR_DPD", 2, 46, "orange"),
    ("REP_CUR_DPD", 3, 107, "red"),
    ("REP_CUR_DPD", 32, 15, "yellow"),  # a payment after the as-of date does not count
    ("REP_CONSEC_MISSED", 2, 2, "orange"),
    ("REP_CONSEC_MISSED", 3, 4, "red"),
    ("REP_CONSEC_MISSED", 32, 1, "yellow"),
    ("REP_DAYS_SINCE_PAYMENT", 2, 76, "yellow"),
    ("REP_DAYS_SINCE_PAYMENT", 3, 135, "red"),
    ("REP_OVERDUE_INSTALMENTS", 2, 2.0, "orange"),
    ("REP_MAX_DPD_6M", 2, 46, "blue"),
    ("REP_MAX_DPD_6M", 3, 107, "orange"),
    ("REP_LATE_6M", 4, 3, "yellow"),
    ("REP_LATE_12M", 4, 3, "blue"),
    ("REP_LATE_6M", 2, 2, "blue"),
    ("REP_PARTIAL_RATIO_12M", 5, 0.25, "yellow"),
    ("REP_PAY_RATIO_DROP", 5, 0.5, "blue"),
    ("REP_PAY_RATIO_DROP", 2, 2 / 3, "orange"),
    ("REP_FPD", 6, 1, "orange"),
    ("BUR_HARD_INQUIRIES_3M", 8, 7, "yellow"),
    ("BUR_NPL_ELSEWHERE", 9, 1, "red"),
    ("BUR_DTI", 10, 0.7, "orange"),
    ("JUD_DISHONEST_DEBTOR", 11, 1, "red"),  # the duplicated record counts once
    ("JUD_LAWSUIT", 11, 1, "yellow"),
    ("REG_DEREGISTRATION", 16, 1, "red"),
    ("REG_ABNORMAL_OPERATION", 16, 1, "orange"),
    ("COL_INDEXED_LTV", 18, 0.9, "orange"),
    ("COL_INDEXED_LTV", 33, 0.82, "yellow"),
    ("COL_LTV_OVER_CAP", 33, 0.82 / 0.5, "yellow"),
    ("COL_SEIZURE", 19, 1, "red"),
    ("COL_VALUE_FALL", 20, 0.25, "blue"),
    ("EVT_DEATH_ILLNESS", 22, 1, "orange"),
    ("INT_MATURITY_LARGE_BALANCE", 23, 1.0, "yellow"),
    ("INT_CLASSIFICATION", 24, 2, "orange"),
    ("INT_OFFICER_CONCENTRATION", 25, 1 / 3, "yellow"),
    ("INT_OFFICER_CONCENTRATION", 27, 1 / 3, "yellow"),
    ("INT_STRESSED_SEGMENT", 28, 0.2, "blue"),
]


@pytest.mark.parametrize(("indicator", "borrower", "value", "level"), EXPECTED)
def test_indicator_fires_as_designed(
    outputs: dict[str, pd.DataFrame], indicator: str, borrower: int, value: float, level: str
) -> None:
    sig = _signal(outputs, indicator, borrower)
    assert sig["value"] == pytest.approx(value, rel=1e-9)
    assert sig["level"] == level
    assert sig["confidence"] == "high" and not sig["capped"]


def test_at_least_twelve_indicators_tested_individually() -> None:
    assert len({e[0] for e in EXPECTED}) >= 12


def test_clean_borrower_and_excluded_records_raise_nothing(
    outputs: dict[str, pd.DataFrame],
) -> None:
    s = outputs["signals"]
    # clean loan; ambiguous name; old event; settled loan; event after the as-of date
    for borrower in (1, 13, 14, 17, 30, 31):
        assert s[s.borrower_id == borrower].empty, borrower
    # a settled loan is not evaluated at all
    assert outputs["indicator_values"].query("borrower_id == 30").empty
    # the small loan in the stressed cell is below the balance floor; the lone cell too
    assert s[(s.indicator_id == "INT_STRESSED_SEGMENT") & (s.borrower_id.isin([18, 29]))].empty
    # below the calibrated floors: 10 DPD once in 6 months, LTV 0.9 at 1.29 times the cap
    assert s[(s.indicator_id == "REP_MAX_DPD_6M") & (s.borrower_id == 4)].empty
    assert _value(outputs, "REP_MAX_DPD_6M", 4) == 10
    assert s[(s.indicator_id == "COL_LTV_OVER_CAP") & (s.borrower_id == 18)].empty


def test_name_only_matches_are_capped_at_blue(outputs: dict[str, pd.DataFrame]) -> None:
    unique_name = _signal(outputs, "JUD_DISHONEST_DEBTOR", 12)
    assert unique_name["raw_level"] == "red"
    assert unique_name["level"] == "blue"
    assert unique_name["confidence"] == "low" and unique_name["capped"]
    matched_by_name = _signal(outputs, "JUD_COURT_ENFORCEMENT", 15)
    assert (matched_by_name["raw_level"], matched_by_name["level"]) == ("orange", "blue")
    w = outputs["warnings"].set_index("borrower_id")
    assert w.loc[12, "level"] == "blue" and w.loc[12, "low_confidence_only"]
    assert not (outputs["signals"].query("confidence == 'low'")["level_rank"] > 1).any()


def test_rural_collateral_is_damped(outputs: dict[str, pd.DataFrame]) -> None:
    # the city index fell 25%; rural houses move by half of it and stay below blue (20%)
    assert _value(outputs, "COL_VALUE_FALL", 21) == pytest.approx(0.125)
    assert _value(outputs, "COL_VALUE_FALL", 20) == pytest.approx(0.25)
    assert _value(outputs, "COL_INDEXED_LTV", 21) == pytest.approx(150000 / 350000)
    s = outputs["signals"]
    assert s[(s.indicator_id == "COL_VALUE_FALL") & (s.borrower_id == 21)].empty
    assert _value(outputs, "COL_VALUE_FALL", 1) is None  # appraised after the fall: zero


def test_warnings_aggregate_and_deduplicate(outputs: dict[str, pd.DataFrame]) -> None:
    w = outputs["warnings"].set_index("borrower_id")
    assert w.index.is_unique
    two = w.loc[2]
    assert two["level"] == "orange"
    ids = list(two["indicator_ids"])
    assert len(ids) == len(set(ids)) == two["signal_count"]
    assert ids[0] in {"REP_CUR_DPD", "REP_CONSEC_MISSED", "REP_OVERDUE_INSTALMENTS",
                      "REP_PAY_RATIO_DROP"}
    assert w.loc[11, "level"] == "red" and w["families"].map(list).loc[11] == ["judicial"]
    assert w.loc[16, "red_count"] == 1 and w.loc[16, "orange_count"] == 1
    s = outputs["signals"]
    assert not s.duplicated(["indicator_id", "borrower_id", "loan_id"]).any()
    assert set(w.index) == set(s["borrower_id"])
    assert (w["level_rank"] == s.groupby("borrower_id")["level_rank"].max()).all()


def test_market_fall_year_on_year(tmp_path: Path) -> None:
    inputs = build_book().write(tmp_path / "in")
    result = run_monitoring(inputs, tmp_path / "out", AS_OF, indicator_set=handmade_set(),
                            hpi=hpi_step(88.0, "2025-07"))
    s = result.read("signals").query("indicator_id == 'MKT_CITY_YOY_FALL'")
    levels = dict(zip(s.borrower_id, s.level, strict=True))
    assert levels[1] == "orange"  # urban: -12% year on year
    assert 21 not in levels  # rural, damped: -6%, below the loan-level steps (-10%, -20%)
    values = result.read("indicator_values").query("indicator_id == 'MKT_CITY_YOY_FALL'")
    assert values.set_index("borrower_id").loc[1, "value"] == pytest.approx(0.12)
    assert values.set_index("borrower_id").loc[21, "value"] == pytest.approx(0.06)


# ----------------------------------------------------------------------- definitions and SQL


def test_default_set_is_versioned_and_covers_the_families() -> None:
    iset = load_indicator_set()
    assert iset.version == "indicators-2026.2"
    assert iset.notes and "calibrat" in iset.notes[0]
    assert len(iset.enabled) >= 25
    assert {i.family for i in iset.indicators} == set(FAMILIES)
    for ind in iset.indicators:
        assert ind.name_zh and ind.name_en and ind.description
        assert ind.thresholds.by_rank()


def test_thresholds_to_levels() -> None:
    t = Thresholds(blue=1, yellow=8, orange=31, red=61)
    assert [level_rank(v, t) for v in (0, 1, 7.9, 8, 30, 31, 60.99, 61, 500)] == [
        0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert level_rank(None, t) == 0 and level_rank(float("nan"), t) == 0
    gaps = Thresholds(orange=1)
    assert [level_rank(v, gaps) for v in (0, 0.99, 1, 7)] == [0, 0, 3, 3]
    lower = Thresholds(blue=0.9, yellow=0.5, red=0.1)
    assert [level_rank(v, lower, "lower") for v in (1, 0.9, 0.3, 0.1, 0)] == [0, 1, 2, 4, 4]
    assert capped_rank(4, "low") == 1 and capped_rank(4, "high") == 4
    assert capped_rank(0, "low") == 0


def test_threshold_validation_and_changes() -> None:
    with pytest.raises(IndicatorError):
        Thresholds(blue=5, yellow=3).validate("higher", "X")
    with pytest.raises(IndicatorError):
        Thresholds().validate("higher", "X")
    iset = load_indicator_set()
    changed = iset.with_thresholds("REP_CUR_DPD", blue=3)
    assert changed.get("REP_CUR_DPD").thresholds.blue == 3
    assert iset.get("REP_CUR_DPD").thresholds.blue == 1
    assert changed.fingerprint() != iset.fingerprint()
    with pytest.raises(IndicatorError):
        iset.with_thresholds("REP_CUR_DPD", blue=100)
    off = iset.with_enabled("REP_FPD", False)
    assert "REP_FPD" not in {i.id for i in off.enabled}


def test_set_round_trips_and_rejects_bad_definitions(tmp_path: Path) -> None:
    iset = load_indicator_set()
    path = tmp_path / "set.json"
    path.write_text(json.dumps(iset.to_dict(), ensure_ascii=False), encoding="utf-8")
    again = load_indicator_set(path)
    assert again.fingerprint() == iset.fingerprint()
    assert again.notes == iset.notes
    good = iset.to_dict()["indicators"][0]
    for bad in (
        {**good, "family": "astrology"},
        {**good, "id": "lower_case"},
        {**good, "sql": "DELETE FROM loans"},
        {**good, "sql": "SELECT 1; DROP TABLE loans"},
        {**good, "thresholds": {"purple": 1}},
        {**good, "direction": "sideways"},
    ):
        with pytest.raises(IndicatorError):
            IndicatorSet.from_dict({"version": "v", "indicators": [bad]})
    with pytest.raises(IndicatorError):
        IndicatorSet.from_dict({"version": "v", "indicators": [good, good]})


def test_macros_expand_per_dialect() -> None:
    params = {"grace_days": 7}
    duck = SqlContext("duckdb", AS_OF, params)
    spark = SqlContext("spark", AS_OF, params)
    tpl = "SELECT {days_between(a.d, {as_of})} x, {as_of_minus_days({param(grace_days)})} g"
    assert render_sql(tpl, duck) == (
        "SELECT date_diff('day', a.d, DATE '2026-06-30') x, DATE '2026-06-23' g"
    )
    assert render_sql(tpl, spark) == (
        "SELECT datediff(DATE '2026-06-30', a.d) x, DATE '2026-06-23' g"
    )
    assert render_sql("{as_of_minus_months(6)} {as_of_plus_months(3)} {as_of_month}", duck) == (
        "DATE '2025-12-30' DATE '2026-09-30' 24318"
    )
    assert render_sql("{month_ord(x)}", spark) == "(year(x) * 12 + month(x))"
    assert render_sql("SELECT '{not a macro}'", duck) == "SELECT '{not a macro}'"
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    for bad in ("{nope}", "{as_of_minus_months(6)", "{param(unknown)}", "{days_between(a)}"):
        with pytest.raises(IndicatorError):
            render_sql(bad, duck)


def test_every_indicator_renders_without_placeholders_in_both_dialects() -> None:
    iset = load_indicator_set()
    for dialect in ("duckdb", "spark"):
        ctx = SqlContext(dialect, AS_OF, iset.parameters)
        for view in iset.views:
            assert "{" not in view_sql(view, ctx)
        for k, ind in enumerate(iset.indicators):
            for sql in (indicator_sql(ind, ctx), indicator_rows_sql(ind, ctx, k)):
                assert "{" not in sql and "current_date" not in sql.lower()
                assert "now()" not in sql.lower()
        counts = indicator_counts_sql(iset.indicators, ctx)
        assert "{" not in counts and counts.count("UNION ALL") == len(iset.indicators) - 1
    ids = indicator_id_sql(iset.indicators)
    assert ids.startswith("CASE indicator_seq WHEN 0 THEN 'REP_CUR_DPD'")
    assert ids.endswith(f"ELSE '{iset.indicators[-1].id}' END")
    assert indicator_id_sql(iset.indicators[:1]) == "'REP_CUR_DPD'"
    with pytest.raises(IndicatorError):
        indicator_rows_sql(iset.indicators[0], SqlContext("duckdb", AS_OF, {}), 2**15)


# ----------------------------------------------------------------- the repayment view itself

REPAY_COLUMNS = (
    "last_due_period_past_grace", "last_paid_period", "last_paid_date", "cur_dpd",
    "max_dpd_6m_due", "max_dpd_12m_due", "late_6m", "late_12m", "n_due_12m", "partial_12m",
    "due_amt_12m", "due_amt_3m", "paid_amt_3m", "due_amt_prev_3m", "paid_amt_prev_3m",
    "fpd_recent", "overdue_amt",
)


def repay_twin(repayments: pd.DataFrame, as_of: date, grace: int = 7, fpd: int = 30
               ) -> pd.DataFrame:
    """``mr_repay`` computed row by row in pandas from its definitions (one pass, no window
    tricks), to check the two-pass SQL against."""
    r = repayments[pd.to_datetime(repayments["due_date"]) <= pd.Timestamp(as_of)].copy()
    due = pd.to_datetime(r["due_date"])
    paid_date = pd.to_datetime(r["paid_date"])
    a = pd.Timestamp(as_of)
    paid_by = paid_date.notna() & (paid_date <= a)
    r["paid_amt"] = r["amount_paid"].where(paid_by, 0.0)
    r["paid_full"] = paid_by & (r["amount_paid"] >= r["amount_due"] - 0.01)
    r["age"] = (a - due).dt.days
    late_days = (paid_date - due).dt.days.clip(lower=0)
    r["row_dpd"] = late_days.where(r["paid_full"], r["age"])
    m6, m12 = pd.Timestamp(add_months(as_of, -6)), pd.Timestamp(add_months(as_of, -12))
    m3 = pd.Timestamp(add_months(as_of, -3))
    r6, r12, r3 = due > m6, due > m12, due > m3
    prev3 = (due > m6) & (due <= m3)
    capped = r[["paid_amt", "amount_due"]].min(axis=1)
    cols = {
        "last_due_period_past_grace": r["period_no"].where(due <= a - pd.Timedelta(days=grace)),
        "last_paid_period": r["period_no"].where(r["paid_full"]),
        "last_paid_date": paid_date.where(r["paid_amt"] > 0),
        "cur_dpd": r["age"].where(~r["paid_full"], 0),
        "max_dpd_6m_due": r["row_dpd"].where(r6, 0),
        "max_dpd_12m_due": r["row_dpd"].where(r12, 0),
        "late_6m": (r6 & (r["row_dpd"] > grace)).astype(int),
        "late_12m": (r12 & (r["row_dpd"] > grace)).astype(int),
        "n_due_12m": r12.astype(int),
        "partial_12m": (r12 & (r["paid_amt"] > 0)
                        & (r["paid_amt"] < r["amount_due"] - 0.01)).astype(int),
        "due_amt_12m": r["amount_due"].where(r12, 0.0),
        "due_amt_3m": r["amount_due"].where(r3, 0.0),
        "paid_amt_3m": capped.where(r3, 0.0),
        "due_amt_prev_3m": r["amount_due"].where(prev3, 0.0),
        "paid_amt_prev_3m": capped.where(prev3, 0.0),
        "fpd_recent": ((r["period_no"] == 1) & r12 & (r["row_dpd"] > fpd)).astype(int),
        "overdue_amt": (r["amount_due"] - r["paid_amt"]).where(~r["paid_full"], 0.0),
    }
    frame = pd.DataFrame(cols).assign(loan_id=r["loan_id"].to_numpy())
    how = {c: ("max" if c.startswith(("last_", "cur_", "max_", "fpd_")) else "sum")
           for c in REPAY_COLUMNS}
    out: pd.DataFrame = frame.groupby("loan_id").agg(how)
    return out


@pytest.mark.parametrize("as_of", [AS_OF, date(2025, 12, 31), date(2026, 2, 20)])
def test_repayment_view_matches_its_definition(tmp_path: Path, as_of: date) -> None:
    from mortgage_risk.monitoring.engines import DuckDBEngine
    from mortgage_risk.synth import generate_to_parquet

    handmade = build_book().write(tmp_path / "hand")
    generate_to_parquet(300, 5, AS_OF, tmp_path / "synth")
    iset = load_indicator_set()
    view = next(v for v in iset.views if v.name == "mr_repay")
    for folder in (handmade, tmp_path / "synth"):
        eng = DuckDBEngine()
        eng.register("repayments", folder / "repayments.parquet")
        eng.register("loans", folder / "loans.parquet")
        # the view reads the active loans only; a stand-in for mr_active is enough here
        eng.materialize("mr_active", "SELECT id AS loan_id, borrower_id, origination_date "
                        "FROM loans WHERE status = 'active'")
        sql = view_sql(view, SqlContext("duckdb", as_of, iset.parameters))
        got = eng.query(sql).set_index("loan_id").sort_index()
        eng.close()
        loans = pd.read_parquet(folder / "loans.parquet")
        repayments = pd.read_parquet(folder / "repayments.parquet")
        active_ids = loans.loc[loans["status"] == "active", "id"]
        active = repayments[repayments["loan_id"].isin(active_ids)]
        want = repay_twin(active, as_of)
        assert len(want) > 20 and list(got.index) == list(want.index)
        owner = loans.set_index("id")["borrower_id"]
        assert (got["borrower_id"] == owner.reindex(got.index)).all()
        for col in REPAY_COLUMNS:
            g, w = got[col], want[col]
            if col == "last_paid_date":
                g = pd.to_datetime(g).astype("datetime64[s]")
                w = pd.to_datetime(w).astype("datetime64[s]")
                assert g.equals(w), col
            else:
                assert np.allclose(g.astype(float), w.astype(float), rtol=1e-12, atol=1e-9,
                                   equal_nan=True), col


# ---------------------------------------------------------------- the run's bookkeeping


def test_duplicate_keys_are_deduplicated_to_one_signal(tmp_path: Path) -> None:
    inputs = build_book().write(tmp_path / "in")
    data = handmade_set().to_dict()
    data["indicators"].append({
        "id": "TEST_TWICE", "family": "internal", "scope": "borrower",
        "name_zh": "重复", "name_en": "Twice",
        "direction": "higher", "thresholds": {"blue": 1, "yellow": 5, "orange": None, "red": None},
        "sql": ["SELECT b.borrower_id, CAST(NULL AS BIGINT) AS loan_id, 2 AS value",
                "FROM mr_borrowers b WHERE b.borrower_id = 2",
                "UNION ALL SELECT 2, CAST(NULL AS BIGINT), 7"],
    })
    result = run_monitoring(inputs, tmp_path / "out", AS_OF,
                            indicator_set=IndicatorSet.from_dict(data),
                            hpi=hpi_step(75.0, "2025-01"))
    s = result.read("signals").query("indicator_id == 'TEST_TWICE'")
    assert len(s) == 1 and s.iloc[0]["value"] == 7 and s.iloc[0]["level"] == "yellow"
    values = result.read("indicator_values").query("indicator_id == 'TEST_TWICE'")
    assert sorted(values["value"]) == [2, 7]  # every value is kept; the signal takes the worst


def test_manifest_counts_what_each_indicator_evaluated(tmp_path: Path) -> None:
    inputs = build_book().write(tmp_path / "in")
    iset = handmade_set().with_enabled("INT_OFFICER_CONCENTRATION", False)
    data = iset.to_dict()
    data["indicators"].append({
        "id": "TEST_NOTHING", "family": "internal", "scope": "loan",
        "name_zh": "无", "name_en": "Nothing", "direction": "higher", "thresholds": {"red": 1},
        "sql": ["SELECT a.borrower_id, a.loan_id, 1 AS value FROM mr_active a WHERE 1 = 0"],
    })
    result = run_monitoring(inputs, tmp_path / "out", AS_OF,
                            indicator_set=IndicatorSet.from_dict(data),
                            hpi=hpi_step(75.0, "2025-01"))
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in manifest["indicators"]}
    assert set(rows) == {i.id for i in IndicatorSet.from_dict(data).enabled}
    assert rows["TEST_NOTHING"]["evaluated"] == 0  # listed even with no row at all
    loans = pd.read_parquet(inputs / "loans.parquet")
    active = int((loans["status"] == "active").sum())
    # every active loan has an installment due: evaluated counts the zero values too
    assert rows["REP_CUR_DPD"]["evaluated"] == rows["REP_CUR_DPD"]["non_null"] == active
    assert rows["JUD_DISHONEST_DEBTOR"]["low_confidence"] == 1
    signals = result.read("signals")
    for iid, row in rows.items():
        at_level = int((signals["indicator_id"] == iid).sum())
        assert sum(row[n] for n in ("blue", "yellow", "orange", "red")) == at_level, iid
