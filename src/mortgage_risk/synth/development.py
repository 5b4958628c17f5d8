"""The development sample of the default scorecard: the book's loans with a known outcome.

A loan is *bad* when an installment due in its first ``horizon_months`` went over 90 days
past due, read from the repayment records as the union itself would see them (the same
definition the model registry validates on). Only loans originated at least that long before
the as-of date count, so every outcome is observed.
"""

from __future__ import annotations

import pandas as pd

from mortgage_risk.synth.book import SyntheticBook


def application_frame(book: SyntheticBook) -> pd.DataFrame:
    """Applications joined with borrower, collateral and branch columns (one row each)."""
    branches = book.branches[["id", "kind"]].rename(columns={"id": "branch_id",
                                                             "kind": "branch_kind"})
    borrowers = book.borrowers.drop(columns=["township", "branch_id", "name"]).rename(
        columns={"id": "borrower_id"})
    properties = book.properties[["id", "property_type", "build_year", "floor_area",
                                  "appraised_value"]].rename(columns={"id": "property_id"})
    frame = (book.applications.rename(columns={"id": "application_id"})
             .merge(borrowers, on="borrower_id", how="left")
             .merge(properties, on="property_id", how="left")
             .merge(branches, on="branch_id", how="left"))
    return frame


def development_sample(book: SyntheticBook, horizon_months: int = 24
                       ) -> tuple[pd.DataFrame, pd.Series]:
    """(application rows with the loan's rate, bad flag) for loans with an observed outcome."""
    as_of = pd.Timestamp(book.loans["as_of"].iloc[0])
    loans = book.loans[["id", "application_id", "annual_rate", "origination_date"]].rename(
        columns={"id": "loan_id"})
    late = book.repayments[(book.repayments["period_no"] <= horizon_months)
                           & (book.repayments["days_past_due"] > 90)]["loan_id"].unique()
    rows = application_frame(book).merge(loans, on="application_id", how="inner")
    origination = pd.to_datetime(rows["origination_date"])
    observed = origination <= as_of - pd.DateOffset(months=horizon_months)
    rows = rows[observed].reset_index(drop=True)
    bad = rows["loan_id"].isin(late).astype(int)
    return rows, bad.rename("bad")
