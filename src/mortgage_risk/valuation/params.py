"""Valuation parameter tables as versioned data: load, validate, round-trip to JSON.

The default set ships as ``data/params-default.json``. The lead stores a set as JSON in the
database (``ValuationParams.to_dict()``) and re-loads it with ``ValuationParams.from_dict()``.
``_source`` notes in the JSON are kept in ``sources`` and written back by ``to_dict``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.domain.param_data import collect_sources, put_source

BUILDING_USES = ("production", "production_corroded", "production_strongly_corroded",
                 "non_production")
REGION_KINDS = ("county_town", "town", "village")
APPROACHES = ("cost", "market", "income")
PROFIT_BASES = ("direct_cost", "investment", "cost", "sales")
WILDCARD = "*"


# --------------------------------------------------------------------------- readers

def _get(d: Mapping[str, Any], key: str, path: str) -> Any:
    if not isinstance(d, Mapping):
        raise DomainError(f"params.{path}", "must be an object")
    if key not in d:
        raise DomainError(f"params.{path}.{key}", "missing")
    return d[key]


def _num(value: Any, path: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DomainError(f"params.{path}", f"must be a number; got {value!r}")
    x = float(value)
    if (low is not None and x < low) or (high is not None and x > high):
        raise DomainError(f"params.{path}", f"must be within [{low}, {high}]; got {x}")
    return x


def _dec(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise DomainError(f"params.{path}", f"must be a decimal string; got {value!r}")
    try:
        result = Decimal(value)
    except InvalidOperation as exc:
        raise DomainError(f"params.{path}", f"{value!r} is not a number") from exc
    if not result.is_finite() or result < 0:
        raise DomainError(f"params.{path}", f"must be a finite non-negative amount; got {value}")
    return result


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise DomainError(f"params.{path}", f"must be a non-empty string; got {value!r}")
    return value


def _items(d: Any, path: str) -> list[tuple[str, Any]]:
    """The entries of an object, without ``_source`` notes."""
    if not isinstance(d, Mapping):
        raise DomainError(f"params.{path}", "must be an object")
    return [(str(k), v) for k, v in d.items() if not str(k).startswith("_")]


def _rates(d: Any, path: str) -> dict[str, float]:
    return {k: _num(v, f"{path}.{k}", low=0.0, high=1.0) for k, v in _items(d, path)}


# --------------------------------------------------------------------------- sections

@dataclass(frozen=True)
class AreaBand:
    """Unit replacement cost (CNY/m²) for floor areas up to ``max_area`` (None: no bound)."""

    max_area: float | None
    cost: Decimal


@dataclass(frozen=True)
class CostBuildupDefaults:
    """Default rates for a replacement cost build-up (§1.2, example B1)."""

    preliminaries_rate: float
    management_rate: float
    interest_rate: float
    construction_period_years: float
    profit_rate: float
    profit_basis: str
    selling_rate: float
    sales_tax_rate: float


@dataclass(frozen=True)
class StoreyWeights:
    """Observed-score group weights (structure, finish, services) from ``min_storeys`` up."""

    min_storeys: int
    weights: tuple[float, float, float]


@dataclass(frozen=True)
class DamageBand:
    """Newness band of a damage grade (房屋完损等级)."""

    zh: str
    low: float
    high: float


@dataclass(frozen=True)
class ObservedScoreParams:
    items: Mapping[str, Mapping[str, float]]
    weight_family: Mapping[str, str]
    weights: Mapping[str, tuple[StoreyWeights, ...]]
    age_weight: float
    damage_grade_bands: Mapping[str, DamageBand]
    band_check_rounding: float

    def weights_for(self, structure: str, storeys: int) -> tuple[float, float, float]:
        """Weights of the structure's family for the highest band with ``min_storeys ≤ storeys``."""
        family = self.weight_family.get(structure)
        if family is None or family not in self.weights:
            raise DomainError("structure", f"no observed-score weights for {structure!r}")
        rows = [r for r in self.weights[family] if r.min_storeys <= storeys]
        if not rows:
            raise DomainError("storeys", f"no weight row for {storeys} storeys ({family})")
        return max(rows, key=lambda r: r.min_storeys).weights


@dataclass(frozen=True)
class BenchmarkLand:
    """A benchmark land price table for one land use."""

    r: float
    term: float
    base_date: date
    base_index: float
    plot_ratio: float
    development_degree: str
    prices: Mapping[str, Decimal]
    plot_ratio_table: tuple[tuple[float, float], ...]
    factors: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class LandParams:
    max_term: Mapping[str, float]
    default_use_by_property_type: Mapping[str, str]
    benchmark: Mapping[str, BenchmarkLand]


@dataclass(frozen=True)
class MarketParams:
    single_adjustment_limit: float
    total_adjustment_limit: float
    prudence_median_multiple: float
    exclude_prudence_flagged: bool
    dispersion_ratio_flag: float
    min_comparables: int
    warn_age_days: int
    max_age_days: int
    weighting: str


@dataclass(frozen=True)
class ReconciliationParams:
    weights: Mapping[str, Mapping[str, float]]
    explanation_spread: float
    lowest_spread: float
    report_rounding: Decimal


@dataclass(frozen=True)
class ClaimKind:
    zh: str
    en: str


@dataclass(frozen=True)
class PriorityClaimParams:
    kinds: Mapping[str, ClaimKind]
    prior_mortgage_method: str
    typical_ltv: float


@dataclass(frozen=True)
class EnforcementParams:
    cost_rates: Mapping[str, float]
    cost_rates_by_property_type: Mapping[str, Mapping[str, float]]

    def rates_for(self, property_type: str) -> Mapping[str, float]:
        return self.cost_rates_by_property_type.get(property_type, self.cost_rates)


@dataclass(frozen=True)
class CapEntry:
    collateral_type: str
    region_kind: str
    borrower_grade: str
    cap: float


@dataclass(frozen=True)
class CapTable:
    """Mortgage rate caps keyed by (collateral type, region kind, borrower grade).

    The most specific match gives the cap (ties: the lowest); an entry naming the borrower's
    grade is also a ceiling, so a weak grade lowers any collateral cap.
    """

    applies_to: str
    entries: tuple[CapEntry, ...]

    def lookup(self, collateral_type: str, region_kind: str,
               borrower_grade: str | None) -> CapEntry:
        def matches(e: CapEntry) -> bool:
            return (e.collateral_type in (WILDCARD, collateral_type)
                    and e.region_kind in (WILDCARD, region_kind)
                    and e.borrower_grade in (WILDCARD, borrower_grade))

        hits = [e for e in self.entries if matches(e)]
        if not hits:
            raise DomainError("collateral_type",
                              f"no mortgage rate cap for {collateral_type}/{region_kind}")

        def specificity(e: CapEntry) -> int:
            return sum(v != WILDCARD for v in (e.collateral_type, e.region_kind,
                                               e.borrower_grade))

        top = max(specificity(e) for e in hits)
        candidates = [e for e in hits
                      if specificity(e) == top or e.borrower_grade != WILDCARD]
        return min(candidates, key=lambda e: e.cap)


@dataclass(frozen=True)
class ForcedSaleParams:
    first_auction_fraction: float
    reauction_cut: float
    auction_rounds: int
    cost_rate: float
    discount_rate: float
    recovery_years: Mapping[str, float]
    forced_sale_discount: Mapping[str, float]


@dataclass(frozen=True)
class ScenarioSpec:
    """An LGD scenario: a discount given directly or by auction round on the auction curve."""

    name: str
    probability: float
    years: float
    discount: float | None = None
    auction_round: int | None = None


@dataclass(frozen=True)
class LgdParams:
    floor: float
    scenarios: tuple[ScenarioSpec, ...]
    scenarios_by_property_type: Mapping[str, tuple[ScenarioSpec, ...]]

    def scenarios_for(self, property_type: str) -> tuple[ScenarioSpec, ...]:
        return self.scenarios_by_property_type.get(property_type, self.scenarios)


@dataclass(frozen=True)
class EligibilityRule:
    """Ineligible when every ``when`` field takes one of its listed values (see eligibility)."""

    code: str
    when: Mapping[str, tuple[Any, ...]]
    basis: str
    zh: str
    en: str
    unless_pilot: str | None = None
    only_if_pilot: str | None = None


# --------------------------------------------------------------------------- parsing

def _scenarios(raw: Any, path: str) -> tuple[ScenarioSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise DomainError(f"params.{path}", "must be a non-empty list")
    out = []
    for i, s in enumerate(raw):
        p = f"{path}[{i}]"
        discount = s.get("discount")
        rnd = s.get("auction_round")
        if (discount is None) == (rnd is None):
            raise DomainError(f"params.{p}", "give exactly one of discount and auction_round")
        out.append(ScenarioSpec(
            name=_str(_get(s, "name", p), f"{p}.name"),
            probability=_num(_get(s, "probability", p), f"{p}.probability", low=0.0, high=1.0),
            years=_num(_get(s, "years", p), f"{p}.years", low=0.0),
            discount=None if discount is None else _num(discount, f"{p}.discount", low=0, high=1),
            auction_round=None if rnd is None else int(_num(rnd, f"{p}.auction_round", low=1)),
        ))
    total = sum(s.probability for s in out)
    if abs(total - 1.0) > 1e-9:
        raise DomainError(f"params.{path}", f"scenario probabilities must sum to 1; got {total}")
    return tuple(out)


def _benchmark(raw: Any, path: str) -> BenchmarkLand:
    table = _get(raw, "plot_ratio_table", path)
    if not isinstance(table, list) or not table:
        raise DomainError(f"params.{path}.plot_ratio_table", "must be a non-empty list")
    pairs = tuple((_num(a, f"{path}.plot_ratio_table"), _num(b, f"{path}.plot_ratio_table"))
                  for a, b in table)
    if any(x[0] >= y[0] for x, y in zip(pairs, pairs[1:], strict=False)):
        raise DomainError(f"params.{path}.plot_ratio_table", "plot ratios must increase")
    return BenchmarkLand(
        r=_num(_get(raw, "r", path), f"{path}.r", low=1e-9, high=1.0),
        term=_num(_get(raw, "term", path), f"{path}.term", low=1.0),
        base_date=date.fromisoformat(_str(_get(raw, "base_date", path), f"{path}.base_date")),
        base_index=_num(_get(raw, "base_index", path), f"{path}.base_index", low=1e-9),
        plot_ratio=_num(_get(raw, "plot_ratio", path), f"{path}.plot_ratio", low=0.0),
        development_degree=str(raw.get("development_degree", "")),
        prices={k: _dec(v, f"{path}.prices.{k}")
                for k, v in _items(_get(raw, "prices", path), f"{path}.prices")},
        plot_ratio_table=pairs,
        factors={f: {lvl: _num(c, f"{path}.factors.{f}.{lvl}", low=-1.0, high=1.0)
                     for lvl, c in _items(levels, f"{path}.factors.{f}")}
                 for f, levels in _items(raw.get("factors", {}), f"{path}.factors")},
    )


@dataclass(frozen=True)
class ValuationParams:
    """Every parameter table the valuation uses, with its version and effective date."""

    version: str
    effective_date: date
    notes: str
    economic_life: Mapping[str, Mapping[str, float | None]]
    residual_rate: Mapping[str, float]
    unit_replacement_cost: Mapping[str, Mapping[str, tuple[AreaBand, ...]]]
    cost_buildup: CostBuildupDefaults
    observed: ObservedScoreParams
    land: LandParams
    market: MarketParams
    cap_rate_floor: Mapping[str, float]
    reconciliation: ReconciliationParams
    priority_claims: PriorityClaimParams
    enforcement: EnforcementParams
    mortgage_rate_cap: CapTable
    forced_sale: ForcedSaleParams
    lgd: LgdParams
    pilot_county: Mapping[str, bool]
    eligibility_rules: tuple[EligibilityRule, ...]
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    # ---- lookups used by the approaches

    def life_and_residual(self, structure: str, use: str) -> tuple[float, float, bool]:
        """Economic life and residual rate; ``fallback`` if the use has no life in the table.

        A missing (null) life falls back to the shortest life listed for the structure
        (prudent); the caller reports a warning when the third item is True.
        """
        if structure not in self.economic_life:
            raise DomainError("structure", f"unknown structure {structure!r}")
        if use not in BUILDING_USES:
            raise DomainError("building_use", f"must be one of {BUILDING_USES}; got {use!r}")
        lives = self.economic_life[structure]
        life = lives.get(use)
        fallback = life is None
        if life is None:
            life = min(v for v in lives.values() if v is not None)
        return float(life), self.residual_rate[structure], fallback

    def unit_cost(self, structure: str, grade: str, floor_area: float) -> Decimal:
        """Unit replacement cost for the structure, grade and floor-area band.

        A structure with a single grade (brick-wood, simple, earth-timber: the grade is part of
        the structure) uses it whatever grade is asked.
        """
        grades = self.unit_replacement_cost.get(structure)
        if not grades:
            raise DomainError("structure", f"no unit replacement cost for {structure!r}")
        bands = grades.get(grade)
        if bands is None:
            if len(grades) != 1:
                raise DomainError("construction_grade",
                                  f"must be one of {sorted(grades)} for {structure}; got {grade!r}")
            bands = next(iter(grades.values()))
        for band in bands:
            if band.max_area is None or floor_area <= band.max_area:
                return band.cost
        return bands[-1].cost

    # ---- construction and serialisation

    @classmethod
    def load_default(cls) -> ValuationParams:
        """The shipped default set (``data/params-default.json``)."""
        text = (files("mortgage_risk.valuation") / "data" / "params-default.json").read_text(
            encoding="utf-8")
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ValuationParams:
        """Parse and validate; errors name the offending path as ``params.<path>``."""
        sources: dict[str, str] = {}
        collect_sources(raw, "", sources)
        version = _str(_get(raw, "version", ""), "version")
        eff = date.fromisoformat(_str(_get(raw, "effective_date", ""), "effective_date"))

        econ: dict[str, dict[str, float | None]] = {}
        for s, uses in _items(_get(raw, "economic_life", ""), "economic_life"):
            row: dict[str, float | None] = {}
            for u in BUILDING_USES:
                v = _get(uses, u, f"economic_life.{s}")
                row[u] = None if v is None else _num(v, f"economic_life.{s}.{u}", low=1e-9)
            if all(v is None for v in row.values()):
                raise DomainError(f"params.economic_life.{s}", "needs at least one life")
            econ[s] = row
        residual = _rates(_get(raw, "residual_rate", ""), "residual_rate")
        for s in econ:
            if s not in residual:
                raise DomainError(f"params.residual_rate.{s}", "missing")

        unit: dict[str, dict[str, tuple[AreaBand, ...]]] = {}
        for s, grades in _items(_get(raw, "unit_replacement_cost", ""), "unit_replacement_cost"):
            unit[s] = {}
            for g, bands in _items(grades, f"unit_replacement_cost.{s}"):
                p = f"unit_replacement_cost.{s}.{g}"
                if not isinstance(bands, list) or not bands:
                    raise DomainError(f"params.{p}", "must be a non-empty list of bands")
                unit[s][g] = tuple(
                    AreaBand(None if b.get("max_area") is None
                             else _num(b["max_area"], f"{p}.max_area", low=0.0),
                             _dec(_get(b, "cost", p), f"{p}.cost")) for b in bands)

        cb = _get(raw, "cost_buildup", "")
        basis = _str(_get(cb, "profit_basis", "cost_buildup"), "cost_buildup.profit_basis")
        if basis not in PROFIT_BASES:
            raise DomainError("params.cost_buildup.profit_basis", f"must be one of {PROFIT_BASES}")
        buildup = CostBuildupDefaults(
            **{k: _num(_get(cb, k, "cost_buildup"), f"cost_buildup.{k}", low=0.0)
               for k in ("preliminaries_rate", "management_rate", "interest_rate",
                         "construction_period_years", "profit_rate", "selling_rate",
                         "sales_tax_rate")}, profit_basis=basis)

        ob = _get(raw, "observed_score", "")
        items = {g: {i: _num(v, f"observed_score.items.{g}.{i}", low=0.0)
                     for i, v in _items(its, f"observed_score.items.{g}")}
                 for g, its in _items(_get(ob, "items", "observed_score"), "observed_score.items")}
        for g in ("structure", "finish", "services"):
            if abs(sum(_get(items, g, "observed_score.items").values()) - 100.0) > 1e-9:
                raise DomainError(f"params.observed_score.items.{g}",
                                  "standard scores must sum to 100")
        weights: dict[str, tuple[StoreyWeights, ...]] = {}
        for fam, rows in _items(_get(ob, "weights", "observed_score"), "observed_score.weights"):
            parsed = []
            for r in rows:
                w = tuple(_num(x, f"observed_score.weights.{fam}", low=0, high=1)
                          for x in r["weights"])
                if len(w) != 3 or abs(sum(w) - 1.0) > 1e-9:
                    raise DomainError(f"params.observed_score.weights.{fam}",
                                      "each row needs three weights summing to 1")
                parsed.append(StoreyWeights(int(r["min_storeys"]), (w[0], w[1], w[2])))
            weights[fam] = tuple(parsed)
        observed = ObservedScoreParams(
            items=items,
            weight_family={k: _str(v, f"observed_score.weight_family.{k}") for k, v in
                           _items(_get(ob, "weight_family", "observed_score"),
                                  "observed_score.weight_family")},
            weights=weights,
            age_weight=_num(_get(ob, "age_weight", "observed_score"), "observed_score.age_weight",
                            low=0.0, high=1.0),
            damage_grade_bands={k: DamageBand(str(v.get("zh", k)),
                                              _num(v["low"], f"observed_score.bands.{k}", low=0),
                                              _num(v["high"], f"observed_score.bands.{k}", high=1))
                                for k, v in _items(_get(ob, "damage_grade_bands", "observed_score"),
                                                   "observed_score.damage_grade_bands")},
            band_check_rounding=_num(ob.get("band_check_rounding", 0.0),
                                     "observed_score.band_check_rounding", low=0.0, high=1.0),
        )

        ld = _get(raw, "land", "")
        land = LandParams(
            max_term={k: _num(v, f"land.max_term.{k}", low=1.0)
                      for k, v in _items(_get(ld, "max_term", "land"), "land.max_term")},
            default_use_by_property_type={
                k: _str(v, f"land.default_use_by_property_type.{k}")
                for k, v in _items(_get(ld, "default_use_by_property_type", "land"),
                                   "land.default_use_by_property_type")},
            benchmark={u: _benchmark(b, f"land.benchmark.{u}")
                       for u, b in _items(_get(ld, "benchmark", "land"), "land.benchmark")},
        )

        mk = _get(raw, "market", "")
        market = MarketParams(
            single_adjustment_limit=_num(_get(mk, "single_adjustment_limit", "market"),
                                         "market.single_adjustment_limit", low=0.0),
            total_adjustment_limit=_num(_get(mk, "total_adjustment_limit", "market"),
                                        "market.total_adjustment_limit", low=0.0),
            prudence_median_multiple=_num(_get(mk, "prudence_median_multiple", "market"),
                                          "market.prudence_median_multiple", low=1.0),
            exclude_prudence_flagged=bool(_get(mk, "exclude_prudence_flagged", "market")),
            dispersion_ratio_flag=_num(_get(mk, "dispersion_ratio_flag", "market"),
                                       "market.dispersion_ratio_flag", low=1.0),
            min_comparables=int(_num(_get(mk, "min_comparables", "market"),
                                     "market.min_comparables", low=1)),
            warn_age_days=int(_num(_get(mk, "warn_age_days", "market"), "market.warn_age_days",
                                   low=0)),
            max_age_days=int(_num(_get(mk, "max_age_days", "market"), "market.max_age_days",
                                  low=0)),
            weighting=_str(_get(mk, "weighting", "market"), "market.weighting"),
        )
        if market.weighting not in ("inverse_gross", "mean", "median"):
            raise DomainError("params.market.weighting", "must be inverse_gross, mean or median")

        floors = _rates(_get(_get(raw, "income", ""), "cap_rate_floor", "income"),
                        "income.cap_rate_floor")

        rc = _get(raw, "reconciliation", "")
        rec_weights: dict[str, dict[str, float]] = {}
        for t, ws in _items(_get(rc, "weights", "reconciliation"), "reconciliation.weights"):
            rec_weights[t] = _rates(ws, f"reconciliation.weights.{t}")
            bad = set(rec_weights[t]) - set(APPROACHES)
            if bad:
                raise DomainError(f"params.reconciliation.weights.{t}",
                                  f"unknown approaches {sorted(bad)}")
        reconciliation = ReconciliationParams(
            weights=rec_weights,
            explanation_spread=_num(_get(rc, "explanation_spread", "reconciliation"),
                                    "reconciliation.explanation_spread", low=0.0),
            lowest_spread=_num(_get(rc, "lowest_spread", "reconciliation"),
                               "reconciliation.lowest_spread", low=0.0),
            report_rounding=_dec(_get(rc, "report_rounding", "reconciliation"),
                                 "reconciliation.report_rounding"),
        )

        pc = _get(raw, "priority_claims", "")
        method = _str(_get(pc, "prior_mortgage_method", "priority_claims"),
                      "priority_claims.prior_mortgage_method")
        if method not in ("balance", "balance_over_typical_ltv"):
            raise DomainError("params.priority_claims.prior_mortgage_method",
                              "must be balance or balance_over_typical_ltv")
        claims = PriorityClaimParams(
            kinds={k: ClaimKind(str(v.get("zh", k)), str(v.get("en", k)))
                   for k, v in _items(_get(pc, "kinds", "priority_claims"),
                                      "priority_claims.kinds")},
            prior_mortgage_method=method,
            typical_ltv=_num(_get(pc, "typical_ltv", "priority_claims"),
                             "priority_claims.typical_ltv", low=1e-9, high=1.0),
        )

        en = _get(raw, "enforcement", "")
        enforcement = EnforcementParams(
            cost_rates=_rates(_get(en, "cost_rates", "enforcement"), "enforcement.cost_rates"),
            cost_rates_by_property_type={
                t: _rates(v, f"enforcement.cost_rates_by_property_type.{t}")
                for t, v in _items(en.get("cost_rates_by_property_type", {}),
                                   "enforcement.cost_rates_by_property_type")},
        )

        ct = _get(raw, "mortgage_rate_cap", "")
        applies_to = _str(_get(ct, "applies_to", "mortgage_rate_cap"),
                          "mortgage_rate_cap.applies_to")
        if applies_to not in ("market_value", "mortgage_value", "net_mortgage_value"):
            raise DomainError("params.mortgage_rate_cap.applies_to",
                              "must be market_value, mortgage_value or net_mortgage_value")
        entries = tuple(
            CapEntry(_str(_get(e, "collateral_type", p), f"{p}.collateral_type"),
                     _str(_get(e, "region_kind", p), f"{p}.region_kind"),
                     _str(_get(e, "borrower_grade", p), f"{p}.borrower_grade"),
                     _num(_get(e, "cap", p), f"{p}.cap", low=0.0, high=1.0))
            for i, e in enumerate(_get(ct, "entries", "mortgage_rate_cap"))
            for p in [f"mortgage_rate_cap.entries[{i}]"])
        cap_table = CapTable(applies_to, entries)

        fs = _get(raw, "forced_sale", "")
        forced = ForcedSaleParams(
            first_auction_fraction=_num(_get(fs, "first_auction_fraction", "forced_sale"),
                                        "forced_sale.first_auction_fraction", low=0, high=1),
            reauction_cut=_num(_get(fs, "reauction_cut", "forced_sale"),
                               "forced_sale.reauction_cut", low=0, high=1),
            auction_rounds=int(_num(_get(fs, "auction_rounds", "forced_sale"),
                                    "forced_sale.auction_rounds", low=1)),
            cost_rate=_num(_get(fs, "cost_rate", "forced_sale"), "forced_sale.cost_rate",
                           low=0, high=1),
            discount_rate=_num(_get(fs, "discount_rate", "forced_sale"),
                               "forced_sale.discount_rate", low=0, high=1),
            recovery_years={k: _num(v, f"forced_sale.recovery_years.{k}", low=0)
                            for k, v in _items(_get(fs, "recovery_years", "forced_sale"),
                                               "forced_sale.recovery_years")},
            forced_sale_discount=_rates(_get(fs, "forced_sale_discount", "forced_sale"),
                                        "forced_sale.forced_sale_discount"),
        )

        lg = _get(raw, "lgd", "")
        lgd = LgdParams(
            floor=_num(_get(lg, "floor", "lgd"), "lgd.floor", low=0.0, high=1.0),
            scenarios=_scenarios(_get(lg, "scenarios", "lgd"), "lgd.scenarios"),
            scenarios_by_property_type={
                t: _scenarios(v, f"lgd.scenarios_by_property_type.{t}")
                for t, v in _items(lg.get("scenarios_by_property_type", {}),
                                   "lgd.scenarios_by_property_type")},
        )
        for spec in (*lgd.scenarios, *(s for v in lgd.scenarios_by_property_type.values()
                                       for s in v)):
            if spec.auction_round is not None and spec.auction_round > forced.auction_rounds:
                raise DomainError("params.lgd.scenarios",
                                  f"auction_round {spec.auction_round} beyond the auction curve")

        pilot_raw = _get(raw, "pilot_county", "")
        pilot = {}
        for k, v in _items(pilot_raw, "pilot_county"):
            if not isinstance(v, bool):
                raise DomainError(f"params.pilot_county.{k}", "must be true or false")
            pilot[k] = v

        rules = []
        for i, r in enumerate(_get(raw, "eligibility_rules", "")):
            p = f"eligibility_rules[{i}]"
            when = {k: tuple(v if isinstance(v, list) else [v])
                    for k, v in _items(_get(r, "when", p), f"{p}.when")}
            for flag_key in ("unless_pilot", "only_if_pilot"):
                flag = r.get(flag_key)
                if flag is not None and flag not in pilot:
                    raise DomainError(f"params.{p}.{flag_key}", f"unknown pilot setting {flag!r}")
            rules.append(EligibilityRule(
                code=_str(_get(r, "code", p), f"{p}.code"), when=when,
                basis=str(r.get("basis", "")), zh=_str(_get(r, "zh", p), f"{p}.zh"),
                en=_str(_get(r, "en", p), f"{p}.en"), unless_pilot=r.get("unless_pilot"),
                only_if_pilot=r.get("only_if_pilot")))

        return cls(version=version, effective_date=eff, notes=str(raw.get("notes", "")),
                   economic_life=econ, residual_rate=residual, unit_replacement_cost=unit,
                   cost_buildup=buildup, observed=observed, land=land, market=market,
                   cap_rate_floor=floors, reconciliation=reconciliation, priority_claims=claims,
                   enforcement=enforcement, mortgage_rate_cap=cap_table, forced_sale=forced,
                   lgd=lgd, pilot_county=pilot, eligibility_rules=tuple(rules), sources=sources)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data that ``from_dict`` reads back to an equal set."""

        def scen(specs: tuple[ScenarioSpec, ...]) -> list[dict[str, Any]]:
            out = []
            for s in specs:
                d: dict[str, Any] = {"name": s.name, "probability": s.probability,
                                     "years": s.years}
                if s.discount is not None:
                    d["discount"] = s.discount
                if s.auction_round is not None:
                    d["auction_round"] = s.auction_round
                out.append(d)
            return out

        def bench(b: BenchmarkLand) -> dict[str, Any]:
            return {"r": b.r, "term": b.term, "base_date": b.base_date.isoformat(),
                    "base_index": b.base_index, "plot_ratio": b.plot_ratio,
                    "development_degree": b.development_degree,
                    "prices": {k: str(v) for k, v in b.prices.items()},
                    "plot_ratio_table": [list(p) for p in b.plot_ratio_table],
                    "factors": {f: dict(v) for f, v in b.factors.items()}}

        ob = self.observed
        out: dict[str, Any] = {
            "version": self.version,
            "effective_date": self.effective_date.isoformat(),
            "notes": self.notes,
            "economic_life": {s: dict(v) for s, v in self.economic_life.items()},
            "residual_rate": dict(self.residual_rate),
            "unit_replacement_cost": {
                s: {g: [{"max_area": b.max_area, "cost": str(b.cost)} for b in bands]
                    for g, bands in grades.items()}
                for s, grades in self.unit_replacement_cost.items()},
            "cost_buildup": dict(vars(self.cost_buildup)),
            "observed_score": {
                "items": {g: dict(v) for g, v in ob.items.items()},
                "weight_family": dict(ob.weight_family),
                "weights": {f: [{"min_storeys": r.min_storeys, "weights": list(r.weights)}
                                for r in rows] for f, rows in ob.weights.items()},
                "age_weight": ob.age_weight,
                "damage_grade_bands": {k: {"zh": b.zh, "low": b.low, "high": b.high}
                                       for k, b in ob.damage_grade_bands.items()},
                "band_check_rounding": ob.band_check_rounding,
            },
            "land": {
                "max_term": dict(self.land.max_term),
                "default_use_by_property_type": dict(self.land.default_use_by_property_type),
                "benchmark": {u: bench(b) for u, b in self.land.benchmark.items()},
            },
            "market": dict(vars(self.market)),
            "income": {"cap_rate_floor": dict(self.cap_rate_floor)},
            "reconciliation": {
                "weights": {t: dict(w) for t, w in self.reconciliation.weights.items()},
                "explanation_spread": self.reconciliation.explanation_spread,
                "lowest_spread": self.reconciliation.lowest_spread,
                "report_rounding": str(self.reconciliation.report_rounding),
            },
            "priority_claims": {
                "kinds": {k: {"zh": v.zh, "en": v.en}
                          for k, v in self.priority_claims.kinds.items()},
                "prior_mortgage_method": self.priority_claims.prior_mortgage_method,
                "typical_ltv": self.priority_claims.typical_ltv,
            },
            "enforcement": {
                "cost_rates": dict(self.enforcement.cost_rates),
                "cost_rates_by_property_type": {
                    t: dict(v) for t, v in self.enforcement.cost_rates_by_property_type.items()},
            },
            "mortgage_rate_cap": {
                "applies_to": self.mortgage_rate_cap.applies_to,
                "entries": [dict(vars(e)) for e in self.mortgage_rate_cap.entries],
            },
            "forced_sale": {
                **{k: v for k, v in vars(self.forced_sale).items()
                   if k not in ("recovery_years", "forced_sale_discount")},
                "recovery_years": dict(self.forced_sale.recovery_years),
                "forced_sale_discount": dict(self.forced_sale.forced_sale_discount),
            },
            "lgd": {
                "floor": self.lgd.floor,
                "scenarios": scen(self.lgd.scenarios),
                "scenarios_by_property_type": {
                    t: scen(v) for t, v in self.lgd.scenarios_by_property_type.items()},
            },
            "pilot_county": dict(self.pilot_county),
            "eligibility_rules": [
                {"code": r.code, "when": {k: list(v) for k, v in r.when.items()},
                 "basis": r.basis, "zh": r.zh, "en": r.en,
                 **({"unless_pilot": r.unless_pilot} if r.unless_pilot else {}),
                 **({"only_if_pilot": r.only_if_pilot} if r.only_if_pilot else {})}
                for r in self.eligibility_rules],
        }
        for path, note in self.sources.items():
            put_source(out, path, note)
        return out

    def with_pilot(self, **flags: bool) -> ValuationParams:
        """A copy with pilot-county settings changed (e.g. ``rural_housing=True``)."""
        unknown = set(flags) - set(self.pilot_county)
        if unknown:
            raise DomainError("pilot_county", f"unknown settings {sorted(unknown)}")
        from dataclasses import replace
        return replace(self, pilot_county={**self.pilot_county, **flags})
