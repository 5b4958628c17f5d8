"""The scorecard's features of a mortgage application, from the book's own columns.

One function builds them for training (the synthetic book's loans) and for scoring a new
application, so both see the same definitions. Parameters are versioned data in
``data/application_features.json``; every stored score names that version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd

CATEGORICAL = ("segment", "property_type", "branch_kind", "repayment_method")
NUMERICAL = (
    "age", "household_income", "dependants", "bureau_overdue_accounts", "bureau_max_dpd_24m",
    "bureau_hard_inquiries_3m", "bureau_npl_elsewhere", "ltv", "dti", "term_months",
    "loan_amount", "property_age", "floor_area",
)
FEATURES = CATEGORICAL + NUMERICAL

#: Columns the builder reads (applications ⋈ borrowers ⋈ properties ⋈ branches [⋈ loans]).
REQUIRED = (
    "amount", "term_months", "repayment_method", "submitted_on", "segment", "birth_date",
    "household_income", "dependants", "bureau_overdue_accounts", "bureau_max_dpd_24m",
    "bureau_hard_inquiries_3m", "bureau_npl_elsewhere", "other_monthly_debt", "property_type",
    "build_year", "floor_area", "appraised_value", "branch_kind",
)


@dataclass(frozen=True)
class FeatureParams:
    version: str
    reference_annual_rate: Decimal


@lru_cache
def default_params() -> FeatureParams:
    raw = json.loads((files("mortgage_risk.scoring") / "data" / "application_features.json")
                     .read_text(encoding="utf-8"))
    return FeatureParams(raw["version"], Decimal(raw["reference_annual_rate"]))


def monthly_installment(amount: np.ndarray, annual_rate: np.ndarray, term_months: np.ndarray,
                        method: np.ndarray) -> np.ndarray:
    """First month's installment: annuity, equal principal (first period) or interest only."""
    r = annual_rate / 12.0
    n = term_months.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = (1.0 + r) ** n
        annuity = np.where(r > 0, amount * r * growth / (growth - 1.0), amount / n)
    first_equal_principal = amount / n + amount * r
    interest_only = amount * r
    return np.select(
        [method == "equal_principal", method == "interest_only_bullet"],
        [first_equal_principal, interest_only], default=annuity)


def build_features(frame: pd.DataFrame, params: FeatureParams | None = None) -> pd.DataFrame:
    """The feature frame (columns ``FEATURES``) for each row of ``frame``.

    ``frame`` carries the columns in ``REQUIRED``; an ``annual_rate`` column, where present and
    not null, is used for the installment, else the reference rate.
    """
    params = params or default_params()
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise KeyError(f"missing columns for the scorecard features: {', '.join(missing)}")
    amount = frame["amount"].astype(float).to_numpy()
    income = frame["household_income"].astype(float).to_numpy()
    rate = np.full(len(frame), float(params.reference_annual_rate))
    if "annual_rate" in frame.columns:
        given = pd.to_numeric(frame["annual_rate"], errors="coerce").to_numpy(dtype=float)
        rate = np.where(np.isnan(given), rate, given)
    term = frame["term_months"].astype(int).to_numpy()
    method = frame["repayment_method"].astype(str).to_numpy()
    installment = monthly_installment(amount, rate, term, method)
    other = frame["other_monthly_debt"].astype(float).to_numpy()
    submitted = pd.to_datetime(frame["submitted_on"])
    born = pd.to_datetime(frame["birth_date"])
    age = (submitted - born).dt.days.to_numpy() / 365.25
    with np.errstate(divide="ignore", invalid="ignore"):
        dti = np.where(income > 0, (installment + other) / (income / 12.0), np.nan)
        ltv = amount / frame["appraised_value"].astype(float).to_numpy()
    build_year = pd.to_numeric(frame["build_year"], errors="coerce").to_numpy(dtype=float)
    out = pd.DataFrame({
        "segment": frame["segment"].astype(str).to_numpy(),
        "property_type": frame["property_type"].astype(str).to_numpy(),
        "branch_kind": frame["branch_kind"].astype(str).to_numpy(),
        "repayment_method": method,
        "age": np.round(age, 1),
        "household_income": income,
        "dependants": frame["dependants"].astype(int).to_numpy(),
        "bureau_overdue_accounts": frame["bureau_overdue_accounts"].astype(int).to_numpy(),
        "bureau_max_dpd_24m": frame["bureau_max_dpd_24m"].astype(int).to_numpy(),
        "bureau_hard_inquiries_3m": frame["bureau_hard_inquiries_3m"].astype(int).to_numpy(),
        "bureau_npl_elsewhere": frame["bureau_npl_elsewhere"].astype(bool).astype(int).to_numpy(),
        "ltv": ltv,
        "dti": dti,
        "term_months": term,
        "loan_amount": amount,
        "property_age": submitted.dt.year.to_numpy() - build_year,
        "floor_area": frame["floor_area"].astype(float).to_numpy(),
    }, index=frame.index)
    return out
