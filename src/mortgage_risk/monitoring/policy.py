"""The monitoring policy as versioned data: load, validate, round-trip to JSON.

The default set ships as ``data/monitoring-policy-default.json`` (version
``monitoring-policy-2026.1``). It holds every number the post-loan engine uses: the
days-past-due floors and the technical delay, the event overrides, the restructuring
observation period, the NPL upgrade conditions, the specific provision rates and the general
reserve, the ECL staging rules, the regulatory thresholds, the concentration limits, the
portfolio buckets and the stress-test settings.

An invalid value raises :class:`~mortgage_risk.domain.DomainError` whose field is the path in
the JSON (``policy.provisions.specific_rates.substandard``). ``_source`` notes are kept in
``sources`` and written back by ``to_dict``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from mortgage_risk.domain import FiveCategory
from mortgage_risk.domain.param_data import as_object as _obj
from mortgage_risk.domain.param_data import (
    collect_sources,
    iso_date,
    packaged_json,
    parse_json,
    put_source,
)
from mortgage_risk.domain.param_data import entries as _items
from mortgage_risk.domain.param_data import flag as _bool
from mortgage_risk.domain.param_data import number as _num
from mortgage_risk.domain.param_data import policy_error as _err
from mortgage_risk.domain.param_data import required as _get
from mortgage_risk.domain.param_data import text as _str
from mortgage_risk.domain.param_data import whole as _int

DEFAULT_RESOURCE: Final = "monitoring-policy-default.json"
CATEGORIES: Final = tuple(FiveCategory)
CATEGORY_RANK: Final = {c.value: i for i, c in enumerate(CATEGORIES)}
SCOPES: Final = ("borrower", "loan")
UPGRADE_GATES: Final = ("any", "to_performing")


def rank(category: str | FiveCategory) -> int:
    """0 = normal ... 4 = loss."""
    return CATEGORY_RANK[str(category)]


def category_of(r: int) -> FiveCategory:
    return CATEGORIES[r]


# --------------------------------------------------------------------------- readers

















def _cat(value: Any, path: str) -> FiveCategory:
    try:
        return FiveCategory(str(value))
    except ValueError:
        allowed = ", ".join(c.value for c in FiveCategory)
        raise _err(path, f"unknown category {value!r}; allowed: {allowed}") from None


def _strs(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _err(path, f"must be a list; got {type(value).__name__}")
    return tuple(_str(v, f"{path}[{i}]") for i, v in enumerate(value))


# --------------------------------------------------------------------------- sections

@dataclass(frozen=True)
class DpdFloor:
    """Days past due strictly above ``above_days`` put the loan at least in ``category``."""

    above_days: int
    category: FiveCategory


@dataclass(frozen=True)
class ClassificationRules:
    technical_delay_days: int
    technical_delay_requires_flag: bool
    dpd_floors: tuple[DpdFloor, ...]
    written_off_category: FiveCategory

    def floor_for(self, dpd: int, technical_delay: bool = True) -> FiveCategory:
        """The DPD floor of one loan, the technical-delay exemption included."""
        if 0 < dpd <= self.technical_delay_days and (
                technical_delay or not self.technical_delay_requires_flag):
            return FiveCategory.NORMAL
        out = FiveCategory.NORMAL
        for f in self.dpd_floors:
            if dpd > f.above_days:
                out = f.category
        return out


@dataclass(frozen=True)
class EventOverride:
    min_category: FiveCategory
    scope: str
    zh: str
    en: str


@dataclass(frozen=True)
class RestructuringRules:
    observation_min_periods: int
    observation_min_months: int
    floor_in_observation: FiveCategory
    floor_in_observation_if_performing_before: FiveCategory
    floor_on_missed_payment: FiveCategory
    floor_on_re_restructuring: FiveCategory
    assume_difficulty_resolved: bool


@dataclass(frozen=True)
class UpgradeRules:
    min_periods: int
    min_months: int
    gate: str


@dataclass(frozen=True)
class ProvisionRules:
    specific_rates: Mapping[str, float]
    rate_bands: Mapping[str, tuple[float, float]]
    general_reserve_rate: float

    def rate(self, category: str | FiveCategory) -> float:
        return self.specific_rates[str(category)]


@dataclass(frozen=True)
class EclRules:
    stage2_dpd_above: int
    stage2_pd_threshold: float
    stage2_categories: tuple[FiveCategory, ...]
    stage3_categories: tuple[FiveCategory, ...]
    stage3_pd: float
    min_remaining_years: float


@dataclass(frozen=True)
class Thresholds:
    npl_ratio_max: float
    provision_coverage_min: float
    provision_coverage_max: float
    loan_provision_ratio_min: float
    loan_provision_ratio_max: float
    dpd90_to_npl_max: float


@dataclass(frozen=True)
class ConcentrationLimits:
    real_estate_max_share: float
    personal_housing_max_share: float
    real_estate_property_types: tuple[str, ...]
    personal_housing_property_types: tuple[str, ...]


@dataclass(frozen=True)
class DpdBucket:
    name: str
    max_days: int | None


@dataclass(frozen=True)
class PortfolioRules:
    par_days: tuple[int, ...]
    dpd90_above: int
    default_dpd_above: int
    roll_rate_buckets: tuple[DpdBucket, ...]


@dataclass(frozen=True)
class ScenarioSpec:
    """A stress scenario: a one-off house price shock or a monthly path, and a PD shock."""

    name: str
    house_price_shock: float = 0.0
    house_price_path: tuple[float, ...] = ()
    pd_multiplier: float = 1.0
    pd_log_odds_shift: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.house_price_path:
            out["house_price_path"] = list(self.house_price_path)
        else:
            out["house_price_shock"] = self.house_price_shock
        out["pd_multiplier"] = self.pd_multiplier
        out["pd_log_odds_shift"] = self.pd_log_odds_shift
        return out


@dataclass(frozen=True)
class StressRules:
    rural_amplitude: float
    rural_property_types: tuple[str, ...]
    recovery_rate: float
    lgd_floor: float
    scenarios: tuple[ScenarioSpec, ...]


def scenario_from_dict(raw: Any, path: str) -> ScenarioSpec:
    name = _str(_get(raw, "name", path), f"{path}.name")
    shock = _num(raw.get("house_price_shock", 0.0), f"{path}.house_price_shock",
                 low=-1.0, high=1.0)
    path_raw = raw.get("house_price_path", [])
    if not isinstance(path_raw, list):
        raise _err(f"{path}.house_price_path", "must be a list of monthly changes")
    hp_path = tuple(_num(v, f"{path}.house_price_path[{i}]", low=-1.0, high=1.0)
                    for i, v in enumerate(path_raw))
    if hp_path and shock:
        raise _err(path, "give house_price_shock or house_price_path, not both")
    mult = _num(raw.get("pd_multiplier", 1.0), f"{path}.pd_multiplier", low=0.0, high=100.0)
    shift = _num(raw.get("pd_log_odds_shift", 0.0), f"{path}.pd_log_odds_shift",
                 low=-20.0, high=20.0)
    return ScenarioSpec(name, shock, hp_path, mult, shift)


# --------------------------------------------------------------------------- the policy

@dataclass(frozen=True)
class MonitoringPolicy:
    """Every parameter of the monitoring engine, with its version and effective date."""

    version: str
    effective_date: date
    notes: str
    classification: ClassificationRules
    event_overrides: Mapping[str, EventOverride]
    signal_only_events: tuple[str, ...]
    restructuring: RestructuringRules
    upgrade: UpgradeRules
    provisions: ProvisionRules
    ecl: EclRules
    thresholds: Thresholds
    concentration: ConcentrationLimits
    portfolio: PortfolioRules
    stress: StressRules
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def load_default(cls) -> MonitoringPolicy:
        return cls.from_dict(packaged_json("mortgage_risk.monitoring", DEFAULT_RESOURCE))

    @classmethod
    def from_json(cls, text: str) -> MonitoringPolicy:
        return cls.from_dict(parse_json(text))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MonitoringPolicy:
        _obj(raw, "")
        sources: dict[str, str] = {}
        collect_sources(raw, "", sources)
        version = _str(_get(raw, "version", ""), "version")
        effective = iso_date(_get(raw, "effective_date", ""), "effective_date")
        return cls(
            version=version, effective_date=effective, notes=str(raw.get("notes", "")),
            classification=_classification(_get(raw, "classification", "")),
            event_overrides=_events(_get(raw, "event_overrides", "")),
            signal_only_events=_strs(_get(_get(raw, "signal_only_events", ""), "types",
                                          "signal_only_events"), "signal_only_events.types"),
            restructuring=_restructuring(_get(raw, "restructuring", "")),
            upgrade=_upgrade(_get(raw, "upgrade", "")),
            provisions=_provisions(_get(raw, "provisions", "")),
            ecl=_ecl(_get(raw, "ecl", "")),
            thresholds=_thresholds(_get(raw, "thresholds", "")),
            concentration=_concentration(_get(raw, "concentration", "")),
            portfolio=_portfolio(_get(raw, "portfolio", "")),
            stress=_stress(_get(raw, "stress", "")),
            sources=sources,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data that ``from_dict`` reads back to an equal policy."""
        c, r, u, p, e = (self.classification, self.restructuring, self.upgrade,
                         self.provisions, self.ecl)
        out: dict[str, Any] = {
            "version": self.version,
            "effective_date": self.effective_date.isoformat(),
            "notes": self.notes,
            "classification": {
                "technical_delay_days": c.technical_delay_days,
                "technical_delay_requires_flag": c.technical_delay_requires_flag,
                "dpd_floors": [{"above_days": f.above_days, "category": f.category.value}
                               for f in c.dpd_floors],
                "written_off_category": c.written_off_category.value,
            },
            "event_overrides": {k: {"min_category": v.min_category.value, "scope": v.scope,
                                    "zh": v.zh, "en": v.en}
                                for k, v in self.event_overrides.items()},
            "signal_only_events": {"types": list(self.signal_only_events)},
            "restructuring": {
                "observation_min_periods": r.observation_min_periods,
                "observation_min_months": r.observation_min_months,
                "floor_in_observation": r.floor_in_observation.value,
                "floor_in_observation_if_performing_before":
                    r.floor_in_observation_if_performing_before.value,
                "floor_on_missed_payment": r.floor_on_missed_payment.value,
                "floor_on_re_restructuring": r.floor_on_re_restructuring.value,
                "assume_difficulty_resolved": r.assume_difficulty_resolved,
            },
            "upgrade": {"min_periods": u.min_periods, "min_months": u.min_months,
                        "gate": u.gate},
            "provisions": {
                "specific_rates": dict(p.specific_rates),
                "rate_bands": {k: list(v) for k, v in p.rate_bands.items()},
                "general_reserve_rate": p.general_reserve_rate,
            },
            "ecl": {
                "stage2_dpd_above": e.stage2_dpd_above,
                "stage2_pd_threshold": e.stage2_pd_threshold,
                "stage2_categories": [x.value for x in e.stage2_categories],
                "stage3_categories": [x.value for x in e.stage3_categories],
                "stage3_pd": e.stage3_pd,
                "min_remaining_years": e.min_remaining_years,
            },
            "thresholds": dict(vars(self.thresholds)),
            "concentration": {
                "real_estate_max_share": self.concentration.real_estate_max_share,
                "personal_housing_max_share": self.concentration.personal_housing_max_share,
                "real_estate_property_types":
                    list(self.concentration.real_estate_property_types),
                "personal_housing_property_types":
                    list(self.concentration.personal_housing_property_types),
            },
            "portfolio": {
                "par_days": list(self.portfolio.par_days),
                "dpd90_above": self.portfolio.dpd90_above,
                "default_dpd_above": self.portfolio.default_dpd_above,
                "roll_rate_buckets": [{"name": b.name, "max_days": b.max_days}
                                      for b in self.portfolio.roll_rate_buckets],
            },
            "stress": {
                "rural_amplitude": self.stress.rural_amplitude,
                "rural_property_types": list(self.stress.rural_property_types),
                "recovery_rate": self.stress.recovery_rate,
                "lgd_floor": self.stress.lgd_floor,
                "scenarios": [s.to_dict() for s in self.stress.scenarios],
            },
        }
        for path, note in self.sources.items():
            put_source(out, path, note)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------- section readers

def _classification(raw: Any) -> ClassificationRules:
    path = "classification"
    floors_raw = _get(raw, "dpd_floors", path)
    if not isinstance(floors_raw, list) or not floors_raw:
        raise _err(f"{path}.dpd_floors", "must be a non-empty list")
    floors = tuple(
        DpdFloor(_int(_get(f, "above_days", f"{path}.dpd_floors[{i}]"),
                      f"{path}.dpd_floors[{i}].above_days", low=0),
                 _cat(_get(f, "category", f"{path}.dpd_floors[{i}]"),
                      f"{path}.dpd_floors[{i}].category"))
        for i, f in enumerate(floors_raw))
    for i in range(1, len(floors)):
        if (floors[i].above_days <= floors[i - 1].above_days
                or rank(floors[i].category) <= rank(floors[i - 1].category)):
            raise _err(f"{path}.dpd_floors[{i}]",
                       "floors must rise in both days and category")
    return ClassificationRules(
        technical_delay_days=_int(_get(raw, "technical_delay_days", path),
                                  f"{path}.technical_delay_days", low=0),
        technical_delay_requires_flag=_bool(_get(raw, "technical_delay_requires_flag", path),
                                            f"{path}.technical_delay_requires_flag"),
        dpd_floors=floors,
        written_off_category=_cat(_get(raw, "written_off_category", path),
                                  f"{path}.written_off_category"),
    )


def _events(raw: Any) -> dict[str, EventOverride]:
    out: dict[str, EventOverride] = {}
    for code, v in _items(raw, "event_overrides"):
        p = f"event_overrides.{code}"
        scope = _str(_get(v, "scope", p), f"{p}.scope")
        if scope not in SCOPES:
            raise _err(f"{p}.scope", f"must be one of {', '.join(SCOPES)}; got {scope!r}")
        out[code] = EventOverride(_cat(_get(v, "min_category", p), f"{p}.min_category"), scope,
                                  _str(_get(v, "zh", p), f"{p}.zh"),
                                  _str(_get(v, "en", p), f"{p}.en"))
    return out


def _restructuring(raw: Any) -> RestructuringRules:
    p = "restructuring"
    return RestructuringRules(
        observation_min_periods=_int(_get(raw, "observation_min_periods", p),
                                     f"{p}.observation_min_periods", low=1),
        observation_min_months=_int(_get(raw, "observation_min_months", p),
                                    f"{p}.observation_min_months", low=0),
        floor_in_observation=_cat(_get(raw, "floor_in_observation", p),
                                  f"{p}.floor_in_observation"),
        floor_in_observation_if_performing_before=_cat(
            _get(raw, "floor_in_observation_if_performing_before", p),
            f"{p}.floor_in_observation_if_performing_before"),
        floor_on_missed_payment=_cat(_get(raw, "floor_on_missed_payment", p),
                                     f"{p}.floor_on_missed_payment"),
        floor_on_re_restructuring=_cat(_get(raw, "floor_on_re_restructuring", p),
                                       f"{p}.floor_on_re_restructuring"),
        assume_difficulty_resolved=_bool(_get(raw, "assume_difficulty_resolved", p),
                                         f"{p}.assume_difficulty_resolved"),
    )


def _upgrade(raw: Any) -> UpgradeRules:
    p = "upgrade"
    gate = _str(_get(raw, "gate", p), f"{p}.gate")
    if gate not in UPGRADE_GATES:
        raise _err(f"{p}.gate", f"must be one of {', '.join(UPGRADE_GATES)}; got {gate!r}")
    return UpgradeRules(_int(_get(raw, "min_periods", p), f"{p}.min_periods", low=1),
                        _int(_get(raw, "min_months", p), f"{p}.min_months", low=0), gate)


def _provisions(raw: Any) -> ProvisionRules:
    p = "provisions"
    rates_raw = _get(raw, "specific_rates", p)
    rates = {c.value: _num(_get(rates_raw, c.value, f"{p}.specific_rates"),
                           f"{p}.specific_rates.{c.value}", low=0.0, high=1.0)
             for c in FiveCategory}
    bands: dict[str, tuple[float, float]] = {}
    for k, v in _items(_get(raw, "rate_bands", p), f"{p}.rate_bands"):
        bp = f"{p}.rate_bands.{k}"
        _cat(k, bp)
        if not isinstance(v, list) or len(v) != 2:
            raise _err(bp, "must be [low, high]")
        lo = _num(v[0], f"{bp}[0]", low=0.0, high=1.0)
        hi = _num(v[1], f"{bp}[1]", low=lo, high=1.0)
        if not lo <= rates[k] <= hi:
            raise _err(f"{p}.specific_rates.{k}",
                       f"must be within its band [{lo}, {hi}]; got {rates[k]}")
        bands[k] = (lo, hi)
    return ProvisionRules(rates, bands, _num(_get(raw, "general_reserve_rate", p),
                                             f"{p}.general_reserve_rate", low=0.0, high=1.0))


def _ecl(raw: Any) -> EclRules:
    p = "ecl"
    return EclRules(
        stage2_dpd_above=_int(_get(raw, "stage2_dpd_above", p), f"{p}.stage2_dpd_above", low=0),
        stage2_pd_threshold=_num(_get(raw, "stage2_pd_threshold", p),
                                 f"{p}.stage2_pd_threshold", low=0.0, high=1.0),
        stage2_categories=tuple(_cat(x, f"{p}.stage2_categories[{i}]") for i, x in
                                enumerate(_strs(_get(raw, "stage2_categories", p),
                                                f"{p}.stage2_categories"))),
        stage3_categories=tuple(_cat(x, f"{p}.stage3_categories[{i}]") for i, x in
                                enumerate(_strs(_get(raw, "stage3_categories", p),
                                                f"{p}.stage3_categories"))),
        stage3_pd=_num(_get(raw, "stage3_pd", p), f"{p}.stage3_pd", low=0.0, high=1.0),
        min_remaining_years=_num(_get(raw, "min_remaining_years", p),
                                 f"{p}.min_remaining_years", low=0.0, high=100.0),
    )


def _thresholds(raw: Any) -> Thresholds:
    p = "thresholds"
    vals = {k: _num(_get(raw, k, p), f"{p}.{k}", low=0.0, high=100.0)
            for k in ("npl_ratio_max", "provision_coverage_min", "provision_coverage_max",
                      "loan_provision_ratio_min", "loan_provision_ratio_max",
                      "dpd90_to_npl_max")}
    if vals["provision_coverage_min"] > vals["provision_coverage_max"]:
        raise _err(f"{p}.provision_coverage_min", "must not exceed provision_coverage_max")
    if vals["loan_provision_ratio_min"] > vals["loan_provision_ratio_max"]:
        raise _err(f"{p}.loan_provision_ratio_min", "must not exceed loan_provision_ratio_max")
    return Thresholds(**vals)


def _concentration(raw: Any) -> ConcentrationLimits:
    p = "concentration"
    return ConcentrationLimits(
        _num(_get(raw, "real_estate_max_share", p), f"{p}.real_estate_max_share",
             low=0.0, high=1.0),
        _num(_get(raw, "personal_housing_max_share", p), f"{p}.personal_housing_max_share",
             low=0.0, high=1.0),
        _strs(_get(raw, "real_estate_property_types", p), f"{p}.real_estate_property_types"),
        _strs(_get(raw, "personal_housing_property_types", p),
              f"{p}.personal_housing_property_types"),
    )


def _portfolio(raw: Any) -> PortfolioRules:
    p = "portfolio"
    par_raw = _get(raw, "par_days", p)
    if not isinstance(par_raw, list):
        raise _err(f"{p}.par_days", "must be a list")
    buckets_raw = _get(raw, "roll_rate_buckets", p)
    if not isinstance(buckets_raw, list) or len(buckets_raw) < 2:
        raise _err(f"{p}.roll_rate_buckets", "must be a list of at least two buckets")
    buckets: list[DpdBucket] = []
    for i, b in enumerate(buckets_raw):
        bp = f"{p}.roll_rate_buckets[{i}]"
        mx = _get(b, "max_days", bp)
        max_days = None if mx is None else _int(mx, f"{bp}.max_days", low=0)
        if buckets and (buckets[-1].max_days is None
                        or (max_days is not None and max_days <= buckets[-1].max_days)):
            raise _err(bp, "buckets must rise; only the last may be open (null)")
        buckets.append(DpdBucket(_str(_get(b, "name", bp), f"{bp}.name"), max_days))
    if buckets[-1].max_days is not None:
        raise _err(f"{p}.roll_rate_buckets", "the last bucket must be open (max_days null)")
    return PortfolioRules(
        tuple(_int(v, f"{p}.par_days[{i}]", low=0) for i, v in enumerate(par_raw)),
        _int(_get(raw, "dpd90_above", p), f"{p}.dpd90_above", low=0),
        _int(_get(raw, "default_dpd_above", p), f"{p}.default_dpd_above", low=0),
        tuple(buckets),
    )


def _stress(raw: Any) -> StressRules:
    p = "stress"
    sc_raw = _get(raw, "scenarios", p)
    if not isinstance(sc_raw, list):
        raise _err(f"{p}.scenarios", "must be a list")
    return StressRules(
        _num(_get(raw, "rural_amplitude", p), f"{p}.rural_amplitude", low=0.0, high=2.0),
        _strs(_get(raw, "rural_property_types", p), f"{p}.rural_property_types"),
        _num(_get(raw, "recovery_rate", p), f"{p}.recovery_rate", low=0.0, high=1.0),
        _num(_get(raw, "lgd_floor", p), f"{p}.lgd_floor", low=0.0, high=1.0),
        tuple(scenario_from_dict(s, f"{p}.scenarios[{i}]") for i, s in enumerate(sc_raw)),
    )
