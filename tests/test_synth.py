"""The synthetic county book: determinism, keys, valid IDs, mix shares and the NPL path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mortgage_risk.domain.resident_id import ResidentId
from mortgage_risk.storage.tables import Base
from mortgage_risk.synth import SyntheticBook, SynthParams, generate, generate_chunks, write_parquet

AS_OF = date(2026, 11, 28)
NPL = ["substandard", "doubtful", "loss"]


@pytest.fixture(scope="module")
def book() -> SyntheticBook:
    return generate(5000, 42, AS_OF)


@pytest.fixture(scope="module")
def params() -> SynthParams:
    return SynthParams.load()


def test_params_file_has_version(params: SynthParams) -> None:
    assert params.version
    assert 18 <= len(params.branches) <= 22
    assert 15 <= len(params.townships) <= 20


def test_columns_match_tables(book: SyntheticBook) -> None:
    frames = book.table_frames()
    assert list(frames) == [
        "branches",
        "borrowers",
        "properties",
        "applications",
        "loans",
        "repayments",
        "external_events",
    ]
    for name, frame in frames.items():
        table = Base.metadata.tables[name]
        assert list(frame.columns) == [c.name for c in table.columns], name


def test_same_seed_same_book_other_seed_differs() -> None:
    a = generate(300, 5, AS_OF)
    b = generate(300, 5, AS_OF)
    c = generate(300, 6, AS_OF)
    for name in (*a.table_frames(), "truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.loans["principal"].equals(c.loans["principal"])
    assert not a.borrowers["resident_id"].equals(c.borrowers["resident_id"])


def test_chunks_are_deterministic_and_ids_global() -> None:
    one = list(generate_chunks(700, 3, AS_OF, chunk_size=250))
    two = list(generate_chunks(700, 3, AS_OF, chunk_size=250))
    assert len(one) == 3
    for x, y in zip(one, two, strict=True):
        pd.testing.assert_frame_equal(x.repayments, y.repayments)
    whole = SyntheticBook.concat(one)
    for name in ("borrowers", "properties", "applications", "loans", "external_events"):
        ids = whole.table_frames()[name]["id"]
        assert ids.is_unique and ids.min() == 1 and ids.max() == len(ids), name
    assert whole.borrowers["resident_id"].is_unique


def test_resident_ids_valid_and_ages(book: SyntheticBook) -> None:
    b = book.borrowers
    assert b["resident_id"].is_unique
    for raw in b["resident_id"].sample(500, random_state=1):
        rid = ResidentId(raw)
        assert rid.region_code == "450321"
    merged = book.loans.merge(b, left_on="borrower_id", right_on="id")
    age = (merged["origination_date"] - merged["birth_date"]).dt.days / 365.25
    assert age.min() >= 21.9 and age.max() <= 60.1


def test_foreign_keys(book: SyntheticBook) -> None:
    branch_ids = set(book.branches["id"])
    borrower_ids = set(book.borrowers["id"])
    property_ids = set(book.properties["id"])
    assert set(book.borrowers["branch_id"]) <= branch_ids
    assert set(book.properties["owner_id"]) <= borrower_ids
    for frame in (book.applications, book.loans):
        assert set(frame["borrower_id"]) <= borrower_ids
        assert set(frame["property_id"]) <= property_ids
        assert set(frame["branch_id"]) <= branch_ids
    assert set(book.loans["application_id"]) <= set(book.applications["id"])
    assert set(book.repayments["loan_id"]) <= set(book.loans["id"])
    ev = book.external_events
    assert set(ev["borrower_id"].dropna()) <= borrower_ids
    assert not book.repayments.duplicated(["loan_id", "period_no"]).any()
    apps = book.applications.set_index("id").loc[book.loans["application_id"]]
    assert (apps["status"] == "disbursed").all()
    assert (apps["borrower_id"].to_numpy() == book.loans["borrower_id"].to_numpy()).all()


def test_mix_shares_within_doc_ranges(book: SyntheticBook) -> None:
    loans = book.loans.merge(book.properties, left_on="property_id", right_on="id")
    share = loans["property_type"].value_counts(normalize=True)
    assert 0.45 <= share["urban_housing"] <= 0.55
    assert 0.15 <= share["rural_house"] <= 0.25
    assert 0.10 <= share["shop"] + share.get("office", 0) <= 0.15
    assert 0.03 <= share["factory_warehouse"] <= 0.06
    land = share.get("state_land_use_right", 0) + share.get("land_management_right", 0)
    assert 0.02 <= land <= 0.05
    seg = loans.merge(book.borrowers, left_on="borrower_id", right_on="id")["segment"]
    s = seg.value_counts(normalize=True)
    assert 0.20 <= s["farmer"] <= 0.30
    assert 0.25 <= s["business_owner"] <= 0.35
    assert 0.10 <= s["salaried_public"] <= 0.15
    assert 0.15 <= s["salaried_private"] <= 0.25
    assert 0.05 <= s["migrant_worker"] <= 0.10
    kinds = book.branches["kind"].value_counts()
    assert 3 <= kinds["county_town"] <= 4 and 6 <= kinds["town"] <= 8
    t = book.truth
    assert 0.40 <= t["ltv_origination"].median() <= 0.70
    assert ((t["ltv_origination"] >= 0.4) & (t["ltv_origination"] <= 0.7)).mean() > 0.6
    assert 0.20 <= t["dti_origination"].median() <= 0.50
    assert ((t["dti_origination"] >= 0.2) & (t["dti_origination"] <= 0.5)).mean() > 0.7
    methods = book.loans["repayment_method"].value_counts(normalize=True)
    assert methods.idxmax() == "equal_installment"
    assert methods["equal_principal"] > methods["interest_only_bullet"] > 0


def test_rates_follow_benchmark_and_lpr(book: SyntheticBook) -> None:
    loans = book.loans
    early = loans[loans["origination_date"] < "2019-08-01"]["annual_rate"]
    late = loans[loans["origination_date"] >= "2025-06-01"]["annual_rate"]
    assert early.between(0.049 + 0.003 - 1e-9, 0.049 + 0.015 + 1e-9).all()
    assert late.between(0.035 + 0.003 - 1e-9, 0.035 + 0.015 + 1e-9).all()


def test_commercial_terms_at_most_ten_years(book: SyntheticBook) -> None:
    loans = book.loans.merge(book.properties, left_on="property_id", right_on="id")
    commercial = loans["property_type"].isin(["shop", "office", "factory_warehouse"])
    assert commercial.any()
    assert (loans.loc[commercial, "term_months"] <= 120).all()
    assert (book.loans["term_months"].between(12, 360)).all()


def test_npl_path_rises_in_stress(book: SyntheticBook) -> None:
    path = book.npl_path().set_index("month_end")["npl_ratio"]
    pre = path[(path.index.year >= 2017) & (path.index.year <= 2019)]
    peak = path[(path.index.year >= 2022) & (path.index.year <= 2023)]
    assert pre.max() < 0.025
    assert 0.03 <= peak.max() <= 0.08
    assert peak.max() > 2 * pre.mean()
    after = path[path.index.year >= 2024]
    assert after.min() > pre.mean()  # stays elevated


def test_loan_state_consistent_with_repayments(book: SyntheticBook) -> None:
    loans = book.loans
    active = loans[loans["status"] == "active"]
    npl = active[active["five_category"].isin(NPL)]["outstanding_principal"].sum()
    ratio = npl / active["outstanding_principal"].sum()
    assert 0.02 <= ratio <= 0.08
    assert (loans.loc[loans["days_past_due"] > 90, "five_category"].isin(NPL)).all()
    assert (loans.loc[loans["days_past_due"] == 0, "five_category"] == "normal").all()
    rep = book.repayments
    assert (rep["due_date"] <= pd.Timestamp(AS_OF)).all()
    assert (rep["paid_date"].dropna() <= pd.Timestamp(AS_OF)).all()
    unpaid = rep[rep["paid_date"].isna()].groupby("loan_id")["amount_due"].sum()
    live = loans.set_index("id").loc[loans["status"].eq("active").to_numpy()]
    got = live["overdue_amount"].reindex(live.index)
    want = unpaid.reindex(live.index, fill_value=0.0)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=0.02)
    assert (loans["as_of"] == pd.Timestamp(AS_OF)).all()


def test_ineligible_collateral_share(book: SyntheticBook) -> None:
    props = book.properties
    bad = (
        (props["land_nature"] == "homestead")
        | props["small_property_rights"]
        | props["seized"]
        | props["illegal_building"]
    )
    share = bad.mean()
    assert 0.01 <= share <= 0.03
    apps = book.applications.merge(props, left_on="property_id", right_on="id")
    bad_apps = apps[bad.to_numpy()[apps["property_id"].to_numpy() - 1]]
    assert (bad_apps["status"] == "declined").mean() > 0.7
    assert (bad_apps["status"] == "disbursed").any()
    declined = (book.applications["status"] == "declined").sum() / len(book.loans)
    assert 0.05 <= declined <= 0.10
    registered = props.set_index("id").loc[book.loans["property_id"], "registration_status"]
    assert registered.isin(["registered", "released"]).all()


def test_events_more_frequent_for_defaulters(book: SyntheticBook) -> None:
    ev = book.external_events
    truth = book.truth
    per_borrower = ev.dropna(subset=["borrower_id"]).groupby("borrower_id").size()
    hits = truth["borrower_id"].map(per_borrower).fillna(0)
    assert hits[truth["defaulted"]].mean() > 5 * hits[~truth["defaulted"]].mean()
    assert hits[~truth["defaulted"]].sum() > 0  # false alarms exist
    name_only = ev["match_confidence"] == "name_only"
    assert name_only.any() and (name_only.mean() < 0.15)
    assert ev.loc[name_only, "subject_resident_id"].isna().all()
    assert ev.loc[name_only, "borrower_id"].isna().all()
    assert ev.loc[~name_only, "subject_resident_id"].notna().all()


def test_truth_pd_ranks_defaults(book: SyntheticBook) -> None:
    t = book.truth
    early = t[book.loans["origination_date"] < "2022-01-01"]
    assert (
        early.loc[early["defaulted"], "true_pd_12m_origination"].mean()
        > 1.5 * early.loc[~early["defaulted"], "true_pd_12m_origination"].mean()
    )


def test_write_parquet_round_trip(tmp_path: Path) -> None:
    rows = write_parquet(generate_chunks(400, 1, AS_OF, chunk_size=150), tmp_path)
    assert rows["loans"] == 400
    for name in ("branches", "borrowers", "loans", "repayments", "truth", "portfolio_path"):
        assert (tmp_path / f"{name}.parquet").is_file()
    rep = pq.read_table(tmp_path / "repayments.parquet")
    assert rep.num_rows == rows["repayments"]
    assert str(rep.schema.field("due_date").type) == "date32[day]"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 60))
def test_invariants_any_seed(seed: int, n: int) -> None:
    book = generate(n, seed, date(2024, 6, 15), chunk_size=25)
    loans = book.loans
    assert len(loans) == n and loans["id"].is_unique
    assert book.borrowers["resident_id"].is_unique
    assert (loans["outstanding_principal"] >= 0).all()
    assert (loans["outstanding_principal"] <= loans["principal"] + 0.01).all()
    assert (loans["overdue_amount"] >= 0).all()
    assert (loans["origination_date"] <= pd.Timestamp("2024-06-15")).all()
    rep = book.repayments
    assert (rep["amount_paid"] >= 0).all() and (rep["days_past_due"] >= 0).all()
    assert (rep["due_date"] <= pd.Timestamp("2024-06-15")).all()
    periods = rep.groupby("loan_id")["period_no"].agg(["min", "max", "count"])
    assert (periods["min"] == 1).all() and (periods["max"] == periods["count"]).all()
