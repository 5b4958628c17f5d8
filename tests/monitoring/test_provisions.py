"""Provisions: a worked example by hand, staging, the general reserve."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.monitoring.provisions import provision_totals, provisions

AS_OF = date(2026, 1, 1)
POLICY = MonitoringPolicy.load_default()


def example() -> tuple[pd.DataFrame, pd.DataFrame]:
    loans = pd.DataFrame([
        # id, balance, dpd, pd12, lgd, maturity
        {"id": 1, "outstanding_principal": 100_000.0, "days_past_due": 0, "pd_12m": 0.01,
         "lgd": 0.4, "maturity_date": None},
        {"id": 2, "outstanding_principal": 50_000.0, "days_past_due": 40, "pd_12m": 0.05,
         "lgd": 0.4, "maturity_date": date(2029, 1, 1)},
        {"id": 3, "outstanding_principal": 40_000.0, "days_past_due": 120, "pd_12m": 0.2,
         "lgd": 0.5, "maturity_date": None},
        {"id": 4, "outstanding_principal": 10_000.0, "days_past_due": 400, "pd_12m": 0.9,
         "lgd": 0.6, "maturity_date": None},
        {"id": 5, "outstanding_principal": 20_000.0, "days_past_due": 0, "pd_12m": 0.25,
         "lgd": 0.3, "maturity_date": None},
    ])
    cls = pd.DataFrame({"loan_id": [1, 2, 3, 4, 5],
                        "category": ["normal", "special_mention", "substandard", "loss",
                                     "normal"]})
    return loans, cls


def test_worked_example_by_hand() -> None:
    loans, cls = example()
    out = provisions(loans, cls, as_of=AS_OF, policy=POLICY).set_index("loan_id")
    # 1: normal, stage 1: ECL = 0.01 x 0.4 x 100,000 = 400; specific 0
    assert out.loc[1, "stage"] == 1
    assert out.loc[1, "ecl"] == pytest.approx(400.0)
    assert out.loc[1, "specific_provision"] == 0.0
    assert out.loc[1, "provision"] == pytest.approx(400.0)
    # 2: special mention, stage 2, lifetime PD over 3 years (1096 days / 365.25)
    years = 1096 / 365.25
    life = 1 - 0.95 ** years
    assert out.loc[2, "stage"] == 2
    assert out.loc[2, "ecl"] == pytest.approx(life * 0.4 * 50_000)  # about 2,853
    assert out.loc[2, "specific_provision"] == pytest.approx(1_000.0)  # 2%
    assert out.loc[2, "provision"] == pytest.approx(life * 0.4 * 50_000)
    # 3: substandard, stage 3: ECL = 1 x 0.5 x 40,000 = 20,000; specific 25% = 10,000
    assert out.loc[3, "stage"] == 3
    assert out.loc[3, "ecl"] == pytest.approx(20_000.0)
    assert out.loc[3, "specific_provision"] == pytest.approx(10_000.0)
    assert out.loc[3, "provision"] == pytest.approx(20_000.0)
    # 4: loss: ECL 6,000 < specific 100% = 10,000
    assert out.loc[4, "provision"] == pytest.approx(10_000.0)
    # 5: normal but 12-month PD 25% >= 20%: stage 2, lifetime PD over the 1-year minimum
    assert out.loc[5, "stage"] == 2
    assert out.loc[5, "ecl"] == pytest.approx(0.25 * 0.3 * 20_000)
    totals = provision_totals(out.reset_index(), POLICY)
    assert totals.balance == pytest.approx(220_000.0)
    assert totals.specific_provision == pytest.approx(21_000.0)
    assert totals.provision == pytest.approx(400 + life * 0.4 * 50_000 + 20_000 + 10_000 + 1_500)
    assert totals.general_reserve == pytest.approx(0.015 * 220_000)
    by_cat = totals.by_category.set_index("category")
    assert by_cat.loc["normal", "loans"] == 2
    assert by_cat.loc["doubtful", "balance"] == 0.0
    assert totals.by_stage.set_index("stage").loc[3, "loans"] == 2


def test_stage_2_by_days_past_due() -> None:
    loans, cls = example()
    cls.loc[cls["loan_id"] == 2, "category"] = "normal"
    out = provisions(loans, cls, as_of=AS_OF, policy=POLICY).set_index("loan_id")
    assert out.loc[2, "stage"] == 2  # 40 days past due > 29
    assert out.loc[2, "specific_provision"] == 0.0


def test_rates_are_configurable_within_bands() -> None:
    raw = POLICY.to_dict()
    raw["provisions"]["specific_rates"]["substandard"] = 0.3
    raw["provisions"]["specific_rates"]["normal"] = 0.01
    policy = MonitoringPolicy.from_dict(raw)
    loans, cls = example()
    out = provisions(loans, cls, as_of=AS_OF, policy=policy).set_index("loan_id")
    assert out.loc[3, "specific_provision"] == pytest.approx(12_000.0)
    assert out.loc[1, "specific_provision"] == pytest.approx(1_000.0)
    raw["provisions"]["specific_rates"]["doubtful"] = 0.7
    with pytest.raises(DomainError) as exc:
        MonitoringPolicy.from_dict(raw)
    assert exc.value.field == "policy.provisions.specific_rates.doubtful"


def test_pd_lifetime_column_and_bad_inputs() -> None:
    loans, cls = example()
    out = provisions(loans.assign(pd_lifetime=0.5), cls, as_of=AS_OF, policy=POLICY)
    assert out.set_index("loan_id").loc[2, "pd_used"] == 0.5
    with pytest.raises(DomainError):
        provisions(loans.drop(columns="lgd"), cls, as_of=AS_OF, policy=POLICY)
    with pytest.raises(DomainError):
        provisions(loans.assign(pd_12m=1.5), cls, as_of=AS_OF, policy=POLICY)
    with pytest.raises(DomainError):
        provisions(loans, cls.iloc[:2], as_of=AS_OF, policy=POLICY)
