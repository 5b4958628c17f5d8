"""Loan loss provisions: specific provisions by class, ECL by stage, the general reserve.

- **Specific provision** = outstanding balance x the class rate (policy ``provisions``:
  normal 0, special mention 2%, substandard 25%, doubtful 50%, loss 100%; substandard and
  doubtful may be set within their +-20% bands).
- **ECL** = PD x LGD x EAD. Stage 3: the class is NPL; PD = ``ecl.stage3_pd`` (1). Stage 2:
  special mention, more than ``stage2_dpd_above`` (29) days past due, or a 12-month PD at or
  above ``stage2_pd_threshold``; lifetime PD. Stage 1: the rest; 12-month PD. Lifetime PD is the
  ``pd_lifetime`` column when given, else ``1 - (1 - PD12) ** years`` with the remaining years
  to maturity (at least ``min_remaining_years``; ``min_remaining_years`` when no maturity).
  EAD is the ``ead`` column when given, else the outstanding principal.
- **Loan provision** = max(ECL, specific) (reference-regulation.md 2 [P]); both are kept.
- **General reserve** = ``general_reserve_rate`` (1.5%) x risk assets (default: the total
  outstanding balance).

Inputs: the loans (``id``/``loan_id``, ``outstanding_principal``, ``days_past_due``, optional
``maturity_date``, ``ead``), a PD column (``pd_12m`` or ``pd``) and ``lgd`` per loan (in the
loans frame), and the classification (``loan_id``, ``category``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import pandas as pd

from mortgage_risk.domain import DomainError, FiveCategory
from mortgage_risk.monitoring.classification import loan_ids
from mortgage_risk.monitoring.policy import MonitoringPolicy

PROVISION_COLUMNS: Final = ("loan_id", "category", "balance", "stage", "specific_rate",
                            "specific_provision", "pd_12m", "pd_used", "lgd", "ead", "ecl",
                            "provision")


def _pd_column(loans: pd.DataFrame) -> str:
    for c in ("pd_12m", "pd"):
        if c in loans.columns:
            return c
    raise DomainError("loans", "needs a pd_12m (or pd) column")


def ecl_stage(category: pd.Series, dpd: pd.Series, pd_12m: pd.Series,
              policy: MonitoringPolicy) -> np.ndarray:
    """Stage 1, 2 or 3 per loan by the policy's rules."""
    e = policy.ecl
    cat = category.astype("object")
    s3 = cat.isin([c.value for c in e.stage3_categories]).to_numpy()
    s2 = (cat.isin([c.value for c in e.stage2_categories]).to_numpy()
          | (dpd.fillna(0).to_numpy() > e.stage2_dpd_above)
          | (pd_12m.fillna(0).to_numpy() >= e.stage2_pd_threshold))
    out: np.ndarray = np.where(s3, 3, np.where(s2, 2, 1))
    return out


def provisions(loans: pd.DataFrame, classification: pd.DataFrame, *, as_of: date,
               policy: MonitoringPolicy) -> pd.DataFrame:
    """Per-loan provisions (columns ``PROVISION_COLUMNS``) in the loans' order."""
    ids = loan_ids(loans)
    cls = classification.set_index("loan_id")["category"]
    category = cls.reindex(ids.to_numpy())
    if category.isna().any():
        raise DomainError("classification", "every loan needs a category")
    pd_col = _pd_column(loans)
    if "lgd" not in loans.columns:
        raise DomainError("loans", "needs an lgd column")
    pd12 = loans[pd_col].astype(float).reset_index(drop=True)
    lgd = loans["lgd"].astype(float).to_numpy()
    if ((pd12 < 0) | (pd12 > 1)).any() or ((lgd < 0) | (lgd > 1)).any():
        raise DomainError("loans", "pd and lgd must be within [0, 1]")
    balance = loans["outstanding_principal"].astype(float).to_numpy()
    ead = loans["ead"].astype(float).to_numpy() if "ead" in loans.columns else balance
    dpd = loans["days_past_due"].reset_index(drop=True) if "days_past_due" in loans.columns \
        else pd.Series(np.zeros(len(loans)))
    cat = pd.Series(category.to_numpy(), dtype="object")
    stage = ecl_stage(cat, dpd, pd12, policy)
    e = policy.ecl
    if "pd_lifetime" in loans.columns:
        pd_life = loans["pd_lifetime"].astype(float).to_numpy()
    else:
        if "maturity_date" in loans.columns:
            mat = pd.to_datetime(loans["maturity_date"]).astype("datetime64[ns]")
            years = ((mat - pd.Timestamp(as_of)).dt.days / 365.25).to_numpy(dtype=float)
            years = np.where(np.isnan(years), e.min_remaining_years, years)
        else:
            years = np.full(len(loans), e.min_remaining_years)
        years = np.maximum(years, e.min_remaining_years)
        pd_life = 1.0 - (1.0 - pd12.to_numpy()) ** years
    pd_used = np.where(stage == 3, e.stage3_pd, np.where(stage == 2, pd_life, pd12.to_numpy()))
    rates = cat.map(policy.provisions.specific_rates).to_numpy(dtype=float)
    specific = balance * rates
    ecl = pd_used * lgd * ead
    return pd.DataFrame({
        "loan_id": ids.to_numpy(), "category": cat.to_numpy(), "balance": balance,
        "stage": stage, "specific_rate": rates, "specific_provision": specific,
        "pd_12m": pd12.to_numpy(), "pd_used": pd_used, "lgd": lgd, "ead": ead, "ecl": ecl,
        "provision": np.maximum(ecl, specific),
    })


def general_reserve(risk_assets: float, policy: MonitoringPolicy) -> float:
    """The general reserve required on ``risk_assets`` (MoF 2012 No. 20: at least 1.5%)."""
    if risk_assets < 0:
        raise DomainError("risk_assets", "must not be negative")
    return risk_assets * policy.provisions.general_reserve_rate


@dataclass(frozen=True)
class ProvisionTotals:
    balance: float
    specific_provision: float
    ecl: float
    provision: float
    general_reserve: float
    by_category: pd.DataFrame
    by_stage: pd.DataFrame


def provision_totals(per_loan: pd.DataFrame, policy: MonitoringPolicy,
                     risk_assets: float | None = None) -> ProvisionTotals:
    """Totals of a ``provisions`` frame, by class and by stage, and the general reserve."""
    cols = ["balance", "specific_provision", "ecl", "provision"]
    by_cat = (per_loan.groupby("category")[cols].sum()
              .reindex([c.value for c in FiveCategory], fill_value=0.0))
    by_cat.insert(0, "loans", per_loan.groupby("category").size()
                  .reindex(by_cat.index, fill_value=0))
    by_stage = per_loan.groupby("stage")[cols].sum().reindex([1, 2, 3], fill_value=0.0)
    by_stage.insert(0, "loans", per_loan.groupby("stage").size()
                    .reindex(by_stage.index, fill_value=0))
    total = float(per_loan["balance"].sum())
    return ProvisionTotals(
        balance=total,
        specific_provision=float(per_loan["specific_provision"].sum()),
        ecl=float(per_loan["ecl"].sum()),
        provision=float(per_loan["provision"].sum()),
        general_reserve=general_reserve(total if risk_assets is None else risk_assets, policy),
        by_category=by_cat.reset_index(), by_stage=by_stage.reset_index(),
    )
