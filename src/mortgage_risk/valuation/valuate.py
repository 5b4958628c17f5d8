"""The top-level valuation: approaches, reconciliation, value layers, eligibility and LGD.

The market value is reported rounded to CNY 100 (full precision in ``reconciliation``);
mortgage and net mortgage values are exact deductions (to the cent) from the reported
market value, as in the worked example (§3.4: 298,600 → 248,600 → 233,670).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError, PropertyType
from mortgage_risk.domain.money import to_decimal
from mortgage_risk.valuation._json import dec, jsonable
from mortgage_risk.valuation.cost import CostBuildup, CostIndication, cost_approach
from mortgage_risk.valuation.eligibility import Eligibility, check_eligibility
from mortgage_risk.valuation.income import IncomeIndication, IncomeInput, income_approach
from mortgage_risk.valuation.layers import PriorityClaims, ValueLayers, value_layers
from mortgage_risk.valuation.lgd import LgdResult, resolve_scenarios, scenario_lgd
from mortgage_risk.valuation.market import Comparable, MarketIndication, sales_comparison
from mortgage_risk.valuation.params import APPROACHES, REGION_KINDS, ValuationParams
from mortgage_risk.valuation.reconcile import Reconciliation, reconcile
from mortgage_risk.valuation.subject import ObservedScores, SubjectProperty

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ValuationResult:
    """Everything the valuation produced, with the parameter version for the audit trail."""

    params_version: str
    valuation_date: date
    property_type: str
    approaches: tuple[str, ...]
    market_value: Decimal
    mortgage_value: Decimal
    net_mortgage_value: Decimal
    newness: float | None
    indications: dict[str, Decimal]
    cost: CostIndication | None
    market: MarketIndication | None
    income: IncomeIndication | None
    reconciliation: Reconciliation
    layers: ValueLayers
    eligibility: Eligibility
    forced_sale_value: Decimal | None
    lgd: LgdResult | None
    warnings: tuple[str, ...]

    @property
    def ltv(self) -> float | None:
        return self.layers.ltv

    @property
    def cltv(self) -> float | None:
        return self.layers.cltv

    @property
    def max_loan(self) -> Decimal | None:
        return self.layers.max_loan

    def to_dict(self) -> dict[str, Any]:
        """The whole breakdown as JSON-ready data (Decimals as strings)."""
        out = dict(jsonable(self))
        out["ltv"], out["cltv"] = self.ltv, self.cltv
        out["max_loan"] = None if self.max_loan is None else str(self.max_loan)
        out["eligible"] = self.eligibility.eligible
        return out


def _default_approaches(subject: SubjectProperty, comparables: Sequence[Comparable],
                        income: IncomeInput | None) -> set[str]:
    chosen = set()
    if subject.property_type is not PropertyType.LAND_MANAGEMENT_RIGHT:
        chosen.add("cost")
    if comparables:
        chosen.add("market")
    if income is not None:
        chosen.add("income")
    return chosen


def valuate(subject: SubjectProperty, params: ValuationParams, *, valuation_date: date,
            comparables: Sequence[Comparable] = (), income: IncomeInput | None = None,
            claims: PriorityClaims | None = None, loan_amount: Decimal | None = None,
            borrower_grade: str | None = None, region_kind: str = "town",
            observed: ObservedScores | None = None, approaches: set[str] | None = None,
            explanation: str | None = None, cost_buildup: CostBuildup | None = None,
            price_index_at_valuation: float = 100.0,
            local_median_unit_price: Decimal | None = None) -> ValuationResult:
    """Value the subject with the chosen (or available) approaches and derive every layer."""
    if region_kind not in REGION_KINDS:
        raise DomainError("region_kind", f"must be one of {REGION_KINDS}; got {region_kind!r}")
    subject.validate(params, valuation_date)
    chosen = set(approaches) if approaches is not None else _default_approaches(
        subject, comparables, income)
    unknown = chosen - set(APPROACHES)
    if unknown or not chosen:
        raise DomainError("approaches", f"choose from {APPROACHES}; got {sorted(chosen)}")
    if "market" in chosen and not comparables:
        raise DomainError("comparables", "the market approach needs comparables")
    if "income" in chosen and income is None:
        raise DomainError("income", "the income approach needs rent or NOI inputs")
    if "cost" in chosen and subject.property_type is PropertyType.LAND_MANAGEMENT_RIGHT:
        raise DomainError("approaches", "the cost approach does not apply to a land "
                                        "management right; use the income approach")
    loan = None if loan_amount is None else to_decimal(loan_amount, "loan_amount")

    warnings: list[str] = []
    indications: dict[str, Decimal] = {}
    cost = market = None
    inc = None
    if "cost" in chosen:
        cost = cost_approach(subject, params, valuation_date=valuation_date, observed=observed,
                             cost_buildup=cost_buildup)
        indications["cost"] = cost.value
        warnings.extend(f"cost: {w}" for w in cost.warnings)
    if "market" in chosen:
        area = subject.floor_area if subject.property_type.has_building else subject.land_area
        market = sales_comparison(area, comparables, params.market,
                                  valuation_date=valuation_date,
                                  index_at_valuation=price_index_at_valuation,
                                  local_median_unit_price=local_median_unit_price)
        indications["market"] = market.value
        warnings.extend(f"market: {w}" for w in market.warnings)
    if "income" in chosen:
        assert income is not None
        floor = params.cap_rate_floor.get(subject.property_type.value, 0.0)
        inc = income_approach(income, cap_rate_floor=floor,
                              default_years=subject.land_term_remaining)
        indications["income"] = inc.value
        warnings.extend(f"income: {w}" for w in inc.warnings)

    rec_params = params.reconciliation
    rec = reconcile(indications, rec_params.weights.get(subject.property_type.value, {}),
                    explanation=explanation, explanation_spread=rec_params.explanation_spread,
                    lowest_spread=rec_params.lowest_spread, rounding=rec_params.report_rounding)
    warnings.extend(f"reconciliation: {w}" for w in rec.warnings)
    market_value = rec.reported_value

    layers = value_layers(market_value, claims.claims if claims else (), params,
                          property_type=subject.property_type.value,
                          land_nature=subject.land_nature.value, region_kind=region_kind,
                          borrower_grade=borrower_grade, loan_amount=loan)
    warnings.extend(f"layers: {w}" for w in layers.warnings)
    eligibility = check_eligibility(subject, params)
    if not eligibility.eligible:
        warnings.append("not eligible as collateral: " +
                        "; ".join(r.en for r in eligibility.reasons))

    d_fs = params.forced_sale.forced_sale_discount.get(subject.property_type.value)
    forced_value = None if d_fs is None else market_value * (1 - dec(d_fs))
    lgd = None
    if loan is not None:
        fs = params.forced_sale
        scenarios = resolve_scenarios(params.lgd.scenarios_for(subject.property_type.value), fs)
        lgd = scenario_lgd(loan, market_value, layers.priority_claims_total, scenarios,
                           cost_rate=fs.cost_rate, discount_rate=fs.discount_rate,
                           floor=params.lgd.floor)

    newness = (cost.building.newness.newness_rate
               if cost is not None and cost.building is not None else None)
    return ValuationResult(
        params_version=params.version, valuation_date=valuation_date,
        property_type=subject.property_type.value, approaches=tuple(sorted(indications)),
        market_value=market_value, mortgage_value=layers.mortgage_value.quantize(CENT),
        net_mortgage_value=layers.net_mortgage_value.quantize(CENT), newness=newness,
        indications=indications, cost=cost, market=market, income=inc, reconciliation=rec,
        layers=layers, eligibility=eligibility, forced_sale_value=forced_value, lgd=lgd,
        warnings=tuple(warnings))
