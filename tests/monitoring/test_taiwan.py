"""The repayment-behaviour indicators on real data: Taiwan credit-card repayment histories.

``load_taiwan_credit()`` holds 30,000 clients with six months of repayment status (PAY_0 for
September 2005 back to PAY_6 for April: -2 no balance, -1 paid in full, 0 revolving, d >= 1
payment delayed d months), bills and payments, and ``default`` (default the next month).

The status histories are turned into installment records the indicator SQL reads (one
installment a month, due on the 15th, as of 2005-09-30): a client d months behind in September
has the last d installments unpaid; an earlier month with status s was paid s months late. The
real indicator SQL then runs on DuckDB. Amount-based indicators (partial payments, payment to
bill ratio) are computed from the bills and payments in pandas, since cards have no fixed
installment. Each indicator's AUC for next-month default is printed and checked against a
floor.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mortgage_risk.datasets import load_taiwan_credit
from mortgage_risk.monitoring.indicators import add_months, load_indicator_set
from mortgage_risk.monitoring.run import run_monitoring
from mortgage_risk.scoring.metrics import auc

AS_OF = date(2005, 9, 30)
STATUS = ["PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"]  # k = 0 (Sep) .. 5 (Apr)
SQL_INDICATORS = (
    "REP_CUR_DPD",
    "REP_MAX_DPD_6M",
    "REP_LATE_6M",
    "REP_CONSEC_MISSED",
    "REP_DAYS_SINCE_PAYMENT",
    "REP_OVERDUE_INSTALMENTS",
    "REP_PAY_RATIO_DROP",
)
FLOORS = {
    "REP_CUR_DPD": 0.65,
    "REP_MAX_DPD_6M": 0.65,
    "REP_LATE_6M": 0.65,
    "REP_CONSEC_MISSED": 0.65,
    "REP_DAYS_SINCE_PAYMENT": 0.55,
    "REP_OVERDUE_INSTALMENTS": 0.65,
    "REP_PAY_RATIO_DROP": 0.6,
}
# reported without a floor: on revolving cards paying less than the bill is ordinary
# revolving, not distress, so the amount-based indicators carry little signal here
REPORTED = ("partial_payment_ratio_5m", "pay_to_bill_drop", "months_since_payment")


def installments(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per client and month from the status history (see the module docstring)."""
    status = frame[STATUS].to_numpy(dtype=np.int64)
    behind = np.maximum(status[:, 0], 0)
    rows = []
    n_months = int(max(6, behind.max()))
    for k in range(n_months):
        due = add_months(date(2005, 9, 15), -k)
        exists = (k < 6) | (k < behind)
        unpaid = k < behind
        delay = np.maximum(status[:, k], 0) if k < 6 else np.zeros(len(frame), dtype=np.int64)
        paid = pd.to_datetime(due) + pd.to_timedelta(delay * 30, unit="D")
        paid = paid.where(paid <= pd.Timestamp(AS_OF), pd.Timestamp(AS_OF))
        part = pd.DataFrame(
            {
                "loan_id": frame["ID"].to_numpy(),
                "period_no": 100 - k,
                "due_date": pd.Timestamp(due),
                "amount_due": 1.0,
                "amount_paid": np.where(unpaid, 0.0, 1.0),
                "paid_date": paid.where(~unpaid, pd.NaT),
                "days_past_due": 0,
            }
        )
        rows.append(part[exists])
    out: pd.DataFrame = pd.concat(rows, ignore_index=True)
    out["paid_date"] = pd.to_datetime(out["paid_date"])
    return out


def write_book(frame: pd.DataFrame, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    n = len(frame)
    ids = frame["ID"].to_numpy()
    ts = pd.Timestamp
    tables = {
        "repayments": installments(frame),
        "loans": pd.DataFrame(
            {
                "id": ids, "borrower_id": ids, "property_id": ids, "branch_id": 1,
                "officer_id": pd.array([pd.NA] * n, dtype="Int64"),
                "principal": frame["LIMIT_BAL"].to_numpy(dtype=float),
                "outstanding_principal": frame["BILL_AMT1"].clip(lower=0).to_numpy(dtype=float),
                "origination_date": ts("2004-12-01"), "maturity_date": ts("2010-12-01"),
                "repayment_method": "revolving", "five_category": "normal", "status": "active",
            }
        ),
        "borrowers": pd.DataFrame(
            {
                "id": ids, "name": [f"c{i}" for i in ids], "branch_id": 1,
                "segment": "card", "township": "tw", "household_income": 0.0,
                "other_monthly_debt": 0.0, "bureau_overdue_accounts": 0,
                "bureau_max_dpd_24m": 0, "bureau_hard_inquiries_3m": 0,
                "bureau_npl_elsewhere": False,
            }
        ),
        "properties": pd.DataFrame(
            {"id": ids, "property_type": "none", "appraised_value": 0.0,
             "appraisal_date": ts("2004-12-01"), "seized": False}
        ),
        "external_events": pd.DataFrame(
            {"id": pd.Series([], dtype="int64"), "borrower_id": pd.Series([], dtype="Int64"),
             "event_type": pd.Series([], dtype=str),
             "event_date": pd.Series([], dtype="datetime64[ms]"),
             "source": pd.Series([], dtype=str), "subject_name": pd.Series([], dtype=str),
             "match_confidence": pd.Series([], dtype=str)}
        ),
        "applications": pd.DataFrame({"id": [1]}),
        "branches": pd.DataFrame({"id": [1], "kind": ["county_town"]}),
    }
    for name, table in tables.items():
        table.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def amount_indicators(frame: pd.DataFrame) -> pd.DataFrame:
    """Payments against the previous statement: PAY_AMT{k} pays BILL_AMT{k+1}."""
    bills = frame[[f"BILL_AMT{k + 1}" for k in range(1, 6)]].to_numpy(dtype=float)
    pays = frame[[f"PAY_AMT{k}" for k in range(1, 6)]].to_numpy(dtype=float)
    owed = bills > 0
    partial = owed & (pays > 0) & (pays < bills)
    ratio = np.where(owed, np.minimum(pays / np.where(owed, bills, 1.0), 1.0), 0.0)

    def mean(cols: slice) -> np.ndarray:
        n = owed[:, cols].sum(axis=1)
        return np.where(n > 0, ratio[:, cols].sum(axis=1) / np.maximum(n, 1), 1.0)

    all_pays = frame[[f"PAY_AMT{k}" for k in range(1, 7)]].to_numpy(dtype=float) > 0
    first_paid = np.where(all_pays.any(axis=1), all_pays.argmax(axis=1), 6)
    return pd.DataFrame(
        {
            "partial_payment_ratio_5m": partial.sum(axis=1) / np.maximum(owed.sum(axis=1), 1),
            # payments of June and May against those of September, August and July
            "pay_to_bill_drop": mean(slice(3, 5)) - mean(slice(0, 3)),
            "months_since_payment": first_paid.astype(float),
        },
        index=frame["ID"].to_numpy(),
    )


@pytest.fixture(scope="module")
def taiwan() -> pd.DataFrame:
    frame: pd.DataFrame = load_taiwan_credit()
    return frame


def test_taiwan_repayment_indicators_predict_next_month_default(
    taiwan: pd.DataFrame, tmp_path: Path
) -> None:
    iset = load_indicator_set()
    iset = replace(
        iset, indicators=tuple(replace(i, enabled=i.id in SQL_INDICATORS) for i in iset.indicators)
    )
    inputs = write_book(taiwan, tmp_path / "in")
    hpi = pd.DataFrame({"month": pd.period_range("2000-01", "2005-12", freq="M"), "value": 100.0})
    result = run_monitoring(inputs, tmp_path / "out", AS_OF, indicator_set=iset, hpi=hpi)
    values = result.read("indicator_values").pivot_table(
        index="loan_id", columns="indicator_id", values="value", aggfunc="first"
    )
    y = taiwan.set_index("ID")["default"]
    scores = values.reindex(y.index).fillna(0.0)
    scores = scores.join(amount_indicators(taiwan))
    aucs = {name: auc(y.to_numpy(), scores[name].to_numpy()) for name in (*FLOORS, *REPORTED)}
    aucs["baseline_max_PAY_status"] = auc(y.to_numpy(), taiwan[STATUS].max(axis=1).to_numpy())
    signals = result.read("signals")
    flagged = set(signals.loc[signals.level_rank >= 3, "borrower_id"])
    hit = y[y.index.isin(flagged)].mean()
    rest = y[~y.index.isin(flagged)].mean()
    print(f"\nTaiwan credit ({len(y):,} clients, default rate {y.mean():.3f}): "
          "AUC for next-month default")
    for name, value in aucs.items():
        print(f"  {name:<28} {value:.4f}")
    print(f"  orange-or-red signal: default rate {hit:.3f} vs {rest:.3f} without")
    for name, floor in FLOORS.items():
        assert aucs[name] > floor, (name, aucs[name])
    assert hit > 2 * rest
    # the SQL's current DPD is the age of the oldest of the PAY_0 unpaid installments
    behind = taiwan.set_index("ID")["PAY_0"].clip(lower=0)
    expected = behind.map(
        lambda d: 0 if d == 0 else (AS_OF - add_months(date(2005, 9, 15), -(d - 1))).days
    )
    assert (scores["REP_CUR_DPD"] == expected).all()
