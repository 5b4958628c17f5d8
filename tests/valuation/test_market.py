"""Market comparison: guards, exclusion reasons, prudence flags, weighting."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.market import Comparable, sales_comparison

from ._support import COMPARABLES, PARAMS, VALUATION_DATE


def test_single_adjustment_guard_excludes_with_reason() -> None:
    bad = Comparable("D", Decimal(2500), date(2025, 4, 1), 100.0, location_adjustment=0.25)
    m = sales_comparison(Decimal(120), (*COMPARABLES, bad), PARAMS.market,
                         valuation_date=VALUATION_DATE)
    d = next(c for c in m.comparables if c.id == "D")
    assert not d.included and d.weight == 0
    assert "location adjustment 25.00% exceeds the single limit 20%" in d.exclusion_reasons
    assert m.unit_price == pytest.approx(Decimal("2478.5703"), abs=Decimal("0.001"))


def test_total_adjustment_guard() -> None:
    bad = Comparable("E", Decimal(2500), date(2025, 4, 1), 100.0, location_adjustment=0.15,
                     physical_adjustment=0.15, legal_adjustment=0.10)
    m = sales_comparison(Decimal(120), (*COMPARABLES, bad), PARAMS.market,
                         valuation_date=VALUATION_DATE)
    e = next(c for c in m.comparables if c.id == "E")
    assert not e.included and any("total adjustment" in r for r in e.exclusion_reasons)


def test_stale_and_future_comparables_excluded() -> None:
    old = Comparable("F", Decimal(2500), date(2022, 1, 1), 100.0)
    future = Comparable("G", Decimal(2500), date(2025, 7, 1), 100.0)
    m = sales_comparison(Decimal(120), (*COMPARABLES, old, future), PARAMS.market,
                         valuation_date=VALUATION_DATE)
    assert {c.id for c in m.comparables if not c.included} == {"F", "G"}


def test_prudence_flag_for_high_priced_comparable() -> None:
    rich = Comparable("H", Decimal(4000), date(2025, 4, 1), 100.0, location_adjustment=0.1)
    m = sales_comparison(Decimal(120), (*COMPARABLES, rich), PARAMS.market,
                         valuation_date=VALUATION_DATE)
    h = next(c for c in m.comparables if c.id == "H")
    assert any("local median" in f for f in h.flags) and h.included
    strict = replace(PARAMS.market, exclude_prudence_flagged=True)
    m2 = sales_comparison(Decimal(120), (*COMPARABLES, rich), strict,
                          valuation_date=VALUATION_DATE)
    assert not next(c for c in m2.comparables if c.id == "H").included


def test_mean_and_median_weighting() -> None:
    mean = sales_comparison(Decimal(120), COMPARABLES, replace(PARAMS.market, weighting="mean"),
                            valuation_date=VALUATION_DATE)
    assert float(mean.unit_price) == pytest.approx(2480.72, abs=0.01)
    med = sales_comparison(Decimal(120), COMPARABLES,
                           replace(PARAMS.market, weighting="median"),
                           valuation_date=VALUATION_DATE)
    assert float(med.unit_price) == pytest.approx(2491.35, abs=0.01)


def test_too_few_comparables_warns() -> None:
    m = sales_comparison(Decimal(120), COMPARABLES[:2], PARAMS.market,
                         valuation_date=VALUATION_DATE)
    assert any("only 2 comparables" in w for w in m.warnings)


def test_market_errors() -> None:
    with pytest.raises(DomainError) as err:
        sales_comparison(Decimal(120), (), PARAMS.market, valuation_date=VALUATION_DATE)
    assert err.value.field == "comparables"
    only_bad = (Comparable("X", Decimal(2500), date(2025, 4, 1), 100.0,
                           physical_adjustment=0.5),)
    with pytest.raises(DomainError, match="no comparable passed"):
        sales_comparison(Decimal(120), only_bad, PARAMS.market, valuation_date=VALUATION_DATE)
    with pytest.raises(DomainError) as err:
        Comparable("Y", Decimal(-1), date(2025, 4, 1), 100.0)
    assert err.value.field == "comparables[Y].unit_price"
