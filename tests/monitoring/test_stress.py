"""Stress tests: house price and PD shocks, the scenario table."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from mortgage_risk.monitoring.policy import MonitoringPolicy, ScenarioSpec, scenario_from_dict
from mortgage_risk.monitoring.stress import (
    SCENARIO_COLUMNS,
    path_trough,
    run_scenarios,
    shock_pd,
    stress_loans,
)

POLICY = MonitoringPolicy.load_default()


def book(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    value = rng.uniform(100_000, 600_000, n)
    return pd.DataFrame({
        "loan_id": np.arange(1, n + 1),
        "outstanding_principal": value * rng.uniform(0.3, 1.05, n),
        "collateral_value": value,
        "property_type": rng.choice(["urban_housing", "rural_house", "shop"], n),
        "pd_12m": rng.uniform(0.002, 0.2, n),
        "lgd": rng.uniform(0.1, 0.5, n),
        "category": rng.choice(["normal"] * 8 + ["special_mention", "substandard"], n),
        "days_past_due": 0,
    })


def test_ltv_over_100_share_rises_as_the_shock_deepens() -> None:
    shocks = [0.0, -0.05, -0.1, -0.2, -0.3, -0.4, -0.5]
    table = run_scenarios(book(), policy=POLICY,
                          scenarios=[ScenarioSpec(f"s{s}", house_price_shock=s) for s in shocks])
    share = table["share_ltv_over_100"].to_numpy()
    assert (np.diff(share) >= 0).all()
    assert share[-1] > share[0]
    assert (np.diff(table["expected_loss"].to_numpy()) >= 0).all()  # LGD rises
    assert list(table.columns) == list(SCENARIO_COLUMNS)


def test_expected_loss_rises_with_the_pd_shock() -> None:
    b = book()
    mult = run_scenarios(b, policy=POLICY, scenarios=[
        ScenarioSpec("x1"), ScenarioSpec("x1.5", pd_multiplier=1.5),
        ScenarioSpec("x3", pd_multiplier=3.0)])
    assert (np.diff(mult["expected_loss"].to_numpy()) > 0).all()
    assert (np.diff(mult["npl_ratio"].to_numpy()) > 0).all()
    assert (np.diff(mult["provisions"].to_numpy()) > 0).all()
    logit = run_scenarios(b, policy=POLICY, scenarios=[
        ScenarioSpec("0"), ScenarioSpec("+0.5", pd_log_odds_shift=0.5),
        ScenarioSpec("+1", pd_log_odds_shift=1.0)])
    assert (np.diff(logit["expected_loss"].to_numpy()) > 0).all()


def test_base_scenario_keeps_inputs() -> None:
    b = book()
    s = stress_loans(b, ScenarioSpec("base"), POLICY)
    assert np.allclose(s["stressed_lgd"], b["lgd"])
    npl = b["category"] == "substandard"
    assert np.allclose(s.loc[~npl, "stressed_pd"], b.loc[~npl, "pd_12m"])
    assert (s.loc[npl, "stressed_pd"] == 1.0).all()
    expected_el = np.where(npl, 1.0, b["pd_12m"]) * b["lgd"] * b["outstanding_principal"]
    assert s["expected_loss"].sum() == pytest.approx(expected_el.sum())
    # NPL after the shock = current NPL + 12-month PD x balance of performing loans
    table = run_scenarios(b, policy=POLICY, scenarios=[ScenarioSpec("base")])
    bal = b["outstanding_principal"]
    expected = (bal[npl].sum() + (b.loc[~npl, "pd_12m"] * bal[~npl]).sum()) / bal.sum()
    assert table["npl_ratio"].iloc[0] == pytest.approx(expected)


def test_rural_collateral_moves_at_a_damped_amplitude() -> None:
    b = pd.DataFrame({"loan_id": [1, 2], "outstanding_principal": [50.0, 50.0],
                      "collateral_value": [100.0, 100.0],
                      "property_type": ["urban_housing", "rural_house"], "pd_12m": [0.01, 0.01],
                      "lgd": [0.2, 0.2], "category": ["normal", "normal"]})
    s = stress_loans(b, ScenarioSpec("s", house_price_shock=-0.3), POLICY)
    assert s["stressed_value"].tolist() == pytest.approx([70.0, 85.0])
    assert s["stressed_ltv"].tolist() == pytest.approx([50 / 70, 50 / 85])


def test_house_price_path_uses_its_trough() -> None:
    assert path_trough([-0.1, -0.1, 0.05]) == pytest.approx(0.81 - 1)
    assert path_trough([0.02, 0.03]) == 0.0
    assert path_trough([-0.1, -0.1], 0.5) == pytest.approx(0.95 ** 2 - 1)
    b = book(50)
    a = stress_loans(b, ScenarioSpec("p", house_price_path=(-0.1, -0.1, 0.05)), POLICY)
    urban = (b["property_type"] != "rural_house").to_numpy()
    assert np.allclose(a.loc[urban, "stressed_value"], b.loc[urban, "collateral_value"] * 0.81)
    spec = scenario_from_dict({"name": "p", "house_price_path": [-0.01, 0.0]}, "x")
    assert spec.house_price_path == (-0.01, 0.0)


def test_shock_pd() -> None:
    p = np.array([0.0, 0.1, 0.6, 1.0])
    assert shock_pd(p, 2.0).tolist() == pytest.approx([0.0, 0.2, 1.0, 1.0])
    shifted = shock_pd(p, 1.0, np.log(3.0))
    assert shifted[1] == pytest.approx(1 / (1 + 9 / 3))  # odds 1/9 -> 1/3
    assert shifted[0] == 0.0 and shifted[3] == 1.0


def test_policy_scenarios_on_the_synthetic_book() -> None:
    from mortgage_risk.monitoring.classification import classify
    from mortgage_risk.synth import generate

    as_of = date(2026, 11, 28)
    b = generate(1500, 3, as_of)
    c = classify(b.loans, as_of=as_of, policy=POLICY)
    active = (b.loans["status"] == "active").to_numpy()
    frame = pd.DataFrame({
        "loan_id": b.loans["id"], "outstanding_principal": b.loans["outstanding_principal"],
        "collateral_value": b.truth["property_value_now"].to_numpy(),
        "property_type": b.truth["property_type"].to_numpy(),
        "pd_12m": b.truth["true_pd_12m"].to_numpy(), "lgd": 0.3,
        "category": c["category"].to_numpy()})[active]
    table = run_scenarios(frame, policy=POLICY)
    assert table["scenario"].tolist() == [s.name for s in POLICY.stress.scenarios]
    base, severe = table.iloc[0], table.set_index("scenario").loc["severe"]
    assert severe["expected_loss"] > base["expected_loss"]
    assert severe["npl_ratio"] > base["npl_ratio"]
    assert severe["share_ltv_over_100"] >= base["share_ltv_over_100"]
