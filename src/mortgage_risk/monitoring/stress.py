"""Stress tests: house price shocks on collateral and PD shocks, with a scenario table.

Per loan (columns): ``loan_id``, ``outstanding_principal`` (EAD unless an ``ead`` column),
``collateral_value`` (current value), ``property_type``, ``pd_12m`` (or ``pd``), ``lgd`` and
``category`` (from the classification).

- **House prices.** A one-off shock ``s`` (e.g. -0.2) or a monthly path of changes. The
  collateral index of a path is the running product of ``1 + change``; the stress uses its
  trough (the worst month; 1 when the path never falls). Rural collateral (policy
  ``rural_property_types``) moves by ``rural_amplitude`` times the shock (or each monthly
  change). Stressed value = value x (1 + amplitude x shock).
- **LTV over 100%:** the share of loans with balance > 0 whose balance / stressed value > 1
  (no collateral value counts as over 100%), by count and by balance.
- **PD.** ``pd_multiplier`` (PD x m, capped at 1) then ``pd_log_odds_shift`` (logit(PD) + a).
  NPL loans keep PD = 1.
- **LGD.** Stressed LGD = LGD + (collateral shortfall with the stressed value - shortfall with
  the current value), within [``lgd_floor``, 1]; shortfall = max(0, 1 - value x
  ``recovery_rate`` / EAD). With no shock it equals the given LGD.
- **Expected loss** = Σ stressed PD x stressed LGD x EAD (12-month; PD = 1 for NPL).
- **NPL after the shock** (documented rule): current NPL balance + Σ over performing loans of
  stressed 12-month PD x balance, over the total balance: the expected migration of
  performing loans into NPL over the next 12 months.
- **Provisions after the shock** = Σ max(stressed ECL, expected specific provision). Stressed
  ECL uses the stage rules with the stressed PD (a stressed 12-month PD at or above the
  stage-2 threshold moves a loan to lifetime ECL, lifetime PD from ``min_remaining_years``
  unless a ``pd_lifetime`` column is given, scaled by the same shock). The expected specific
  provision of a performing loan = PD x balance x substandard rate + (1 - PD) x balance x
  its current rate; an NPL loan keeps its class rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from mortgage_risk.domain import DomainError, FiveCategory
from mortgage_risk.monitoring.classification import loan_ids
from mortgage_risk.monitoring.policy import MonitoringPolicy, ScenarioSpec

NPL: Final = tuple(c.value for c in FiveCategory if c.is_npl)
SCENARIO_COLUMNS: Final = (
    "scenario", "house_price_shock", "pd_multiplier", "pd_log_odds_shift", "loans",
    "total_balance", "share_ltv_over_100", "balance_share_ltv_over_100", "mean_pd",
    "expected_loss", "provisions", "npl_balance", "npl_ratio", "stressed_new_npl_balance")


def path_trough(path: Sequence[float], amplitude: float = 1.0) -> float:
    """The worst cumulative change of a monthly path (0 when it never falls below 1)."""
    index = np.cumprod(1.0 + amplitude * np.asarray(path, dtype=float))
    return float(min(index.min(initial=1.0), 1.0) - 1.0)


def stressed_values(values: np.ndarray, property_type: pd.Series, scenario: ScenarioSpec,
                    policy: MonitoringPolicy) -> np.ndarray:
    """Collateral values after the scenario's house price shock."""
    rural = property_type.isin(list(policy.stress.rural_property_types)).to_numpy()
    amp = np.where(rural, policy.stress.rural_amplitude, 1.0)
    if scenario.house_price_path:
        urban = path_trough(scenario.house_price_path)
        damped = path_trough(scenario.house_price_path, policy.stress.rural_amplitude)
        change = np.where(rural, damped, urban)
    else:
        change = amp * scenario.house_price_shock
    out: np.ndarray = values * np.maximum(1.0 + change, 0.0)
    return out


def shock_pd(pd_12m: np.ndarray, multiplier: float = 1.0,
             log_odds_shift: float = 0.0) -> np.ndarray:
    """PD x multiplier (at most 1), then shifted in log-odds."""
    p = np.clip(pd_12m * multiplier, 0.0, 1.0)
    if log_odds_shift:
        inner = (p > 0) & (p < 1)
        q = np.clip(p[inner], 1e-12, 1 - 1e-12)
        p = p.copy()
        p[inner] = 1.0 / (1.0 + np.exp(-(np.log(q / (1 - q)) + log_odds_shift)))
    out: np.ndarray = p
    return out


def stress_loans(book: pd.DataFrame, scenario: ScenarioSpec,
                 policy: MonitoringPolicy) -> pd.DataFrame:
    """Per-loan stressed values: ``loan_id, balance, value, stressed_value, ltv,
    stressed_ltv, pd_12m, stressed_pd, lgd, stressed_lgd, expected_loss, provision, npl``."""
    for col in ("outstanding_principal", "collateral_value", "property_type", "lgd",
                "category"):
        if col not in book.columns:
            raise DomainError("book", f"needs a {col} column")
    pd_col = "pd_12m" if "pd_12m" in book.columns else "pd"
    if pd_col not in book.columns:
        raise DomainError("book", "needs a pd_12m (or pd) column")
    st = policy.stress
    bal = book["outstanding_principal"].astype(float).to_numpy()
    ead = book["ead"].astype(float).to_numpy() if "ead" in book.columns else bal
    value = book["collateral_value"].astype(float).fillna(0.0).to_numpy()
    sval = stressed_values(value, book["property_type"], scenario, policy)
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv = np.where(value > 0, bal / value, np.inf)
        sltv = np.where(sval > 0, bal / sval, np.inf)

        def shortfall(v: np.ndarray) -> np.ndarray:
            out: np.ndarray = np.where(ead > 0, np.maximum(0.0, 1.0 - v * st.recovery_rate
                                                           / np.where(ead > 0, ead, 1.0)), 0.0)
            return out

    lgd = book["lgd"].astype(float).to_numpy()
    slgd = np.clip(lgd + shortfall(sval) - shortfall(value), st.lgd_floor, 1.0)
    slgd = np.where(sval == value, lgd, slgd)
    cat = book["category"].astype("object")
    npl = cat.isin(list(NPL)).to_numpy()
    pd12 = book[pd_col].astype(float).to_numpy()
    spd = np.where(npl, 1.0, shock_pd(pd12, scenario.pd_multiplier, scenario.pd_log_odds_shift))
    el = spd * slgd * ead
    # provisions: stage rules on the stressed PD
    e = policy.ecl
    dpd = book["days_past_due"].fillna(0).to_numpy() if "days_past_due" in book.columns \
        else np.zeros(len(book))
    stage2 = (~npl & (cat.isin([c.value for c in e.stage2_categories]).to_numpy()
                      | (dpd > e.stage2_dpd_above) | (spd >= e.stage2_pd_threshold)))
    if "pd_lifetime" in book.columns:
        life = shock_pd(book["pd_lifetime"].astype(float).to_numpy(), scenario.pd_multiplier,
                        scenario.pd_log_odds_shift)
    else:
        life = 1.0 - (1.0 - spd) ** max(e.min_remaining_years, 1.0)
    pd_used = np.where(npl, e.stage3_pd, np.where(stage2, np.maximum(life, spd), spd))
    ecl = pd_used * slgd * ead
    rates = cat.map(policy.provisions.specific_rates).fillna(0.0).to_numpy(dtype=float)
    sub_rate = policy.provisions.rate(FiveCategory.SUBSTANDARD)
    spec = np.where(npl, bal * rates,
                    spd * bal * np.maximum(sub_rate, rates) + (1 - spd) * bal * rates)
    return pd.DataFrame({
        "loan_id": loan_ids(book).to_numpy(), "balance": bal, "value": value,
        "stressed_value": sval, "ltv": ltv, "stressed_ltv": sltv, "pd_12m": pd12,
        "stressed_pd": spd, "lgd": lgd, "stressed_lgd": slgd, "expected_loss": el,
        "provision": np.maximum(ecl, spec), "npl": npl,
    })


def run_scenarios(book: pd.DataFrame, *, policy: MonitoringPolicy,
                  scenarios: Sequence[ScenarioSpec] | None = None) -> pd.DataFrame:
    """One row per scenario (columns ``SCENARIO_COLUMNS``); default: the policy's scenarios.

    ``house_price_shock`` is the shock to urban collateral (a path: its trough)."""
    rows: list[tuple[object, ...]] = []
    for sc in policy.stress.scenarios if scenarios is None else scenarios:
        s = stress_loans(book, sc, policy)
        live = s["balance"] > 0
        total = float(s["balance"].sum())
        over = live & (s["stressed_ltv"] > 1.0)
        npl_bal = float(s.loc[s["npl"], "balance"].sum())
        new_npl = float((s.loc[~s["npl"], "stressed_pd"] * s.loc[~s["npl"], "balance"]).sum())
        shock = path_trough(sc.house_price_path) if sc.house_price_path \
            else sc.house_price_shock
        n_live = int(live.sum())
        rows.append((
            sc.name, shock, sc.pd_multiplier, sc.pd_log_odds_shift, n_live, total,
            float(over.sum() / n_live) if n_live else float("nan"),
            float(s.loc[over, "balance"].sum() / total) if total > 0 else float("nan"),
            float(s.loc[live, "stressed_pd"].mean()) if n_live else float("nan"),
            float(s["expected_loss"].sum()), float(s["provision"].sum()),
            npl_bal + new_npl, (npl_bal + new_npl) / total if total > 0 else float("nan"),
            new_npl))
    return pd.DataFrame(rows, columns=list(SCENARIO_COLUMNS))
