"""The table frames of one chunk of the book: borrowers, applications, loans and properties
(exactly the columns of storage/tables.py, ``officer_id`` null), plus the ``truth`` frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mortgage_risk.synth.applicants import METHOD_NAMES, Applicants
from mortgage_risk.synth.collateral import Ineligible
from mortgage_risk.synth.county import addresses, resident_ids, resident_names
from mortgage_risk.synth.latent import (
    hpi_amplitudes,
    macro_weights,
    pd_12m,
    static_predictor,
)
from mortgage_risk.synth.market import Market
from mortgage_risk.synth.months import calendar_year, month_date, month_start
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.synth.performance import Performance
from mortgage_risk.synth.repayments import LoanState
from mortgage_risk.synth.schedule import balance_after

_PURCHASE_PURPOSES = ["购房", "购置商铺"]


@dataclass(frozen=True)
class ChunkIds:
    """Global ids of the chunk's rows: one borrower, property and application per applicant,
    loans for the first ``n`` (the approved ones)."""

    borrower_id: np.ndarray
    property_id: np.ndarray
    application_id: np.ndarray
    loan_id: np.ndarray
    branch_id: np.ndarray


@dataclass(frozen=True)
class ApplicationDates:
    submitted: np.ndarray
    decided: np.ndarray
    appraisal: np.ndarray


def nullable_int(values: np.ndarray, valid: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(valid, values, 0).astype(np.int64), ~valid)


def _null_ids(n: int) -> pd.api.extensions.ExtensionArray:
    return pd.array([pd.NA] * n, dtype="Int64")


def borrowers_frame(
    rng: np.random.Generator,
    params: SynthParams,
    a: Applicants,
    ids: ChunkIds,
    rid_counter: np.ndarray,
) -> pd.DataFrame:
    """One borrower per applicant, with a resident ID and a name."""
    rid = resident_ids(params.county["region_code"], a["birth"], a["male"], rid_counter)
    name = resident_names(rng, params, a["male"])
    return pd.DataFrame(
        {
            "id": ids.borrower_id,
            "resident_id": rid,
            "name": name,
            "segment": a["segment"],
            "township": a["township"],
            "branch_id": ids.branch_id,
            "birth_date": a["birth"].astype("datetime64[ns]"),
            "household_income": np.round(a["income"], 2),
            "dependants": a["dependants"],
            "bureau_overdue_accounts": a["overdue_accounts"],
            "bureau_max_dpd_24m": a["max_dpd"],
            "bureau_hard_inquiries_3m": a["inquiries"],
            "bureau_npl_elsewhere": a["npl_elsewhere"],
            "other_monthly_debt": np.round(a["other_debt"], 2),
        }
    )


def application_dates(rng: np.random.Generator, orig_date: np.ndarray) -> ApplicationDates:
    """Submitted 10-45 days and decided 1-7 days before origination; appraised 1-5 days
    after submission."""
    m = len(orig_date)
    submitted = orig_date - rng.integers(10, 46, size=m).astype("timedelta64[D]")
    decided = orig_date - rng.integers(1, 8, size=m).astype("timedelta64[D]")
    appraisal = submitted + rng.integers(1, 6, size=m).astype("timedelta64[D]")
    return ApplicationDates(submitted=submitted, decided=decided, appraisal=appraisal)


def _purposes(rng: np.random.Generator, params: SynthParams, ptype: np.ndarray) -> np.ndarray:
    purpose = np.empty(len(ptype), dtype=object)
    for t, opts in params.loans["purpose_by_property_type"].items():
        m = np.flatnonzero(ptype == t)
        purpose[m] = rng.choice(np.asarray(opts, dtype=object), size=len(m))
    return purpose


def applications_frame(
    rng: np.random.Generator,
    params: SynthParams,
    a: Applicants,
    ids: ChunkIds,
    is_loan: np.ndarray,
    dates: ApplicationDates,
) -> pd.DataFrame:
    """One application per applicant: disbursed for the loans, declined for the rest."""
    m_all = len(is_loan)
    purpose = _purposes(rng, params, a["ptype"])
    buying = np.isin(purpose, _PURCHASE_PURPOSES)
    purchase_price = np.where(
        buying, np.round(a["value"] * rng.uniform(0.95, 1.05, m_all), -2), np.nan
    )
    year = calendar_year(a["orig_m"]).astype(str)
    app_no = np.char.add(np.char.add("SQ", year), np.char.zfill(ids.application_id.astype(str), 9))
    status = np.where(is_loan, "disbursed", "declined").astype(object)
    return pd.DataFrame(
        {
            "id": ids.application_id,
            "application_no": app_no.astype(object),
            "borrower_id": ids.borrower_id,
            "property_id": ids.property_id,
            "branch_id": ids.branch_id,
            "officer_id": _null_ids(m_all),
            "amount": np.round(a["amount"], 2),
            "term_months": a["term"],
            "repayment_method": np.array(METHOD_NAMES)[a["method"]].astype(object),
            "purpose": purpose,
            "purchase_price": purchase_price,
            "co_owner_consent": rng.random(m_all) > np.where(is_loan, 0.0, 0.05),
            # A house bought with the loan counts as a first home; other purposes leave it open.
            "first_home": pd.array(np.where(buying, True, None), dtype="boolean"),
            "status": status,
            "submitted_on": dates.submitted.astype("datetime64[ns]"),
            "decided_on": dates.decided.astype("datetime64[ns]"),
        }
    )


def loans_frame(
    la: Applicants, ids: ChunkIds, state: LoanState, as_of64: np.datetime64
) -> pd.DataFrame:
    """The disbursed loans with their state at the as-of date."""
    n = len(ids.loan_id)
    o = la["orig_m"]
    maturity = month_date(o + la["term"], la["orig_d"])
    year_l = calendar_year(o).astype(str)
    contract = np.char.add(np.char.add("GXDK", year_l), np.char.zfill(ids.loan_id.astype(str), 9))
    return pd.DataFrame(
        {
            "id": ids.loan_id,
            "contract_no": contract.astype(object),
            "application_id": ids.application_id[:n],
            "borrower_id": ids.borrower_id[:n],
            "property_id": ids.property_id[:n],
            "branch_id": ids.branch_id[:n],
            "officer_id": _null_ids(n),
            "principal": np.round(la["amount"], 2),
            "term_months": la["term"],
            "annual_rate": la["annual_rate"],
            "repayment_method": np.array(METHOD_NAMES)[la["method"]].astype(object),
            "origination_date": la["orig_date"].astype("datetime64[ns]"),
            "maturity_date": maturity.astype("datetime64[ns]"),
            "status": state.status.astype(object),
            "outstanding_principal": state.outstanding,
            "overdue_amount": state.overdue,
            "days_past_due": state.dpd,
            "five_category": state.five_category,
            "as_of": pd.Series(np.full(n, as_of64).astype("datetime64[ns]")),
        }
    )


def _certificates(
    rng: np.random.Generator, orig_m: np.ndarray, ineligible: Ineligible
) -> np.ndarray:
    """Real-estate certificate numbers; none for small property rights, homesteads and
    illegal buildings."""
    m_all = len(orig_m)
    cert_year = np.maximum(calendar_year(orig_m) - rng.integers(0, 6, m_all), 2016)
    cert_seq = np.char.zfill(rng.integers(1, 9_999_999, m_all).astype(str), 7)
    cert = np.char.add(
        np.char.add(np.char.add("桂(", cert_year.astype(str)), ")G县不动产权第"),
        np.char.add(cert_seq, "号"),
    ).astype(object)
    no_cert = ineligible.small_property_rights | ineligible.homestead | ineligible.illegal_building
    return np.where(no_cert, "", cert)


def properties_frame(
    rng: np.random.Generator,
    params: SynthParams,
    a: Applicants,
    ids: ChunkIds,
    is_loan: np.ndarray,
    loan_status: np.ndarray,
    ineligible: Ineligible,
    appraisal: np.ndarray,
) -> pd.DataFrame:
    """One pledged property per applicant; the mortgage is registered for the loans (and
    released once settled)."""
    n = len(loan_status)
    m_all = len(is_loan)
    reg = np.where(is_loan, "registered", "not_registered").astype(object)
    reg[:n] = np.where(loan_status == "settled", "released", reg[:n])
    cert = _certificates(rng, a["orig_m"], ineligible)
    address = addresses(rng, params, a["branch_kind"], a["township"])
    has_b = a["storeys"] > 0
    return pd.DataFrame(
        {
            "id": ids.property_id,
            "owner_id": ids.borrower_id,
            "property_type": a["ptype"],
            "land_nature": a["land_nature"],
            "structure": a["structure"],
            "storeys": nullable_int(a["storeys"], has_b),
            "build_year": nullable_int(a["build_year"], has_b),
            "floor_area": a["floor"],
            "land_area": a["land"],
            "land_term_remaining_years": np.round(a["land_term"], 2),
            "township": a["township"],
            "address": address,
            "ownership_certificate_no": cert,
            "land_certificate_no": cert,
            "registration_status": reg,
            "seized": ineligible.seized,
            "existing_mortgage": rng.random(m_all) < np.where(is_loan, 0.0, 0.03),
            "small_property_rights": ineligible.small_property_rights,
            "illegal_building": ineligible.illegal_building,
            "appraised_value": np.round(a["value"], 2),
            "appraisal_date": appraisal.astype("datetime64[ns]"),
        }
    )


def truth_frame(
    params: SynthParams,
    la: Applicants,
    ids: ChunkIds,
    perf: Performance,
    state: LoanState,
    ineligible: Ineligible,
    market: Market,
    t_asof: int,
) -> pd.DataFrame:
    """What the bank cannot see, one row per loan: latent PD at origination and now, the
    simulated performance and the collateral revalued at the as-of month."""
    n = len(ids.loan_id)
    o = la["orig_m"]
    r = la["annual_rate"] / 12.0
    static = static_predictor(params, la)
    macro_w = macro_weights(params, la["segment"])
    amp = hpi_amplitudes(params, la["ptype"])
    hp_now = 1.0 + amp * (market.hpi[t_asof] / market.hpi[o] - 1.0)
    value_now = np.round(la["value"] * hp_now, 2)
    bal_now = balance_after(
        la["amount"], r, la["term"].astype(float), la["method"], state.paid_installments
    )
    ltv_now = bal_now / np.maximum(value_now, 1.0)
    age_now = t_asof - o
    pd_orig = pd_12m(params, static, np.zeros(n), la["ltv"], market.macro[o], macro_w)
    pd_now = pd_12m(params, static, age_now, ltv_now, market.macro[t_asof], macro_w)
    pd_now = np.where(state.dpd > 90, 1.0, pd_now)
    pd_now = np.where(state.status == "active", pd_now, np.nan)
    return pd.DataFrame(
        {
            "loan_id": ids.loan_id,
            "borrower_id": ids.borrower_id[:n],
            "segment": la["segment"],
            "property_type": la["ptype"],
            "branch_kind": la["branch_kind"],
            "frailty": np.round(la["frailty"], 4),
            "static_predictor": np.round(static, 4),
            "true_pd_12m_origination": pd_orig,
            "true_pd_12m": pd_now,
            "defaulted": perf.default_month >= 0,
            "default_month": month_start(perf.default_month),
            "ever_30dpd": perf.first_30_month >= 0,
            "first_30dpd_month": month_start(perf.first_30_month),
            "prepaid_month": month_start(perf.prepaid_month),
            "written_off_month": month_start(perf.written_off_month),
            "ltv_origination": np.round(la["ltv"], 4),
            "dti_origination": np.round(la["dti"], 4),
            "property_value_now": value_now,
            "hpi_ratio": np.round(hp_now, 4),
            "ltv_now": np.round(ltv_now, 4),
            "ineligible_collateral": ineligible.flag[:n],
            "ineligible_kind": ineligible.kind[:n],
        }
    )
