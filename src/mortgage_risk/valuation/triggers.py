"""Re-appraisal triggers (reference-valuation.md §4.4, issue 4 item 8) as data-driven rules.

Each rule in :data:`RULES` has a code, a severity, a check reading a :class:`CollateralState`
against :class:`TriggerThresholds`, and Chinese and English message templates. Thresholds are
data (``TriggerThresholds.from_mapping`` reads a stored parameter table); rules can be switched
off by code with ``TriggerThresholds.disabled``.

Boundaries (tests pin them):

- value drop: fires when ``V_t ≤ (1 − drop) × V_last`` (a drop of exactly 10% fires);
- LTV: breach when ``LTV > cap``; watch when ``cap ≥ LTV > watch_fraction × cap``;
  CLTV escalates when ``CLTV > 0.90``;
- past due: fires at ``days_past_due ≥ 30``;
- stale report: fires when the report is more than ``report_max_age_days`` (365) days old;
- on-site inspection due: more than the property type's cadence since the last inspection.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from enum import StrEnum
from typing import Any

from mortgage_risk.domain import DomainError, FiveCategory, PropertyType
from mortgage_risk.valuation.revaluation import cltv as _cltv
from mortgage_risk.valuation.revaluation import ltv as _ltv


class Severity(StrEnum):
    INFO = "info"
    WATCH = "watch"
    REVIEW = "review"
    BREACH = "breach"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WATCH: 1, Severity.REVIEW: 2, Severity.BREACH: 3,
                  Severity.URGENT: 4}

_CLASS_RANK = {FiveCategory.NORMAL: 0, FiveCategory.SPECIAL_MENTION: 1,
               FiveCategory.SUBSTANDARD: 2, FiveCategory.DOUBTFUL: 3, FiveCategory.LOSS: 4}

RESIDENTIAL_TYPES = frozenset({PropertyType.URBAN_HOUSING, PropertyType.RURAL_HOUSE})
SENSITIVE_TYPES = frozenset({PropertyType.SHOP, PropertyType.OFFICE,
                             PropertyType.FACTORY_WAREHOUSE})

# Starting configuration from §2.4 (typical RCC caps; the union's policy table overrides).
DEFAULT_LTV_CAPS: Mapping[PropertyType, float] = {
    PropertyType.URBAN_HOUSING: 0.70,
    PropertyType.RURAL_HOUSE: 0.50,
    PropertyType.SHOP: 0.60,
    PropertyType.OFFICE: 0.60,
    PropertyType.FACTORY_WAREHOUSE: 0.50,
    PropertyType.STATE_LAND_USE_RIGHT: 0.60,
    PropertyType.LAND_MANAGEMENT_RIGHT: 0.50,
}

# §4.4 T1: on-site inspection at least yearly for commercial, industrial and rural collateral,
# at least every three years for residential.
DEFAULT_ONSITE_MAX_DAYS: Mapping[PropertyType, int] = {
    PropertyType.URBAN_HOUSING: 3 * 365,
    PropertyType.RURAL_HOUSE: 365,
    PropertyType.SHOP: 365,
    PropertyType.OFFICE: 365,
    PropertyType.FACTORY_WAREHOUSE: 365,
    PropertyType.STATE_LAND_USE_RIGHT: 365,
    PropertyType.LAND_MANAGEMENT_RIGHT: 365,
}


@dataclass(frozen=True)
class TriggerThresholds:
    """Thresholds of the trigger rules; defaults from §4.4 and issue 4."""

    value_drop: float = 0.10
    value_drop_sensitive: float = 0.05
    sensitive_types: frozenset[PropertyType] = SENSITIVE_TYPES
    regional_yoy_drop: float = 0.10
    ltv_caps: Mapping[PropertyType, float] = field(default_factory=lambda: dict(DEFAULT_LTV_CAPS))
    ltv_watch_fraction: float = 0.9
    cltv_escalate: float = 0.90
    days_past_due: int = 30
    report_max_age_days: int = 365
    onsite_max_days: Mapping[PropertyType, int] = field(
        default_factory=lambda: dict(DEFAULT_ONSITE_MAX_DAYS))
    avm_fsd_max: float = 0.20
    disabled: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("value_drop", "value_drop_sensitive", "regional_yoy_drop",
                     "ltv_watch_fraction"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and 0.0 < float(v) < 1.0):
                raise DomainError(name, f"must be within (0, 1); got {v!r}")
        for name in ("cltv_escalate", "avm_fsd_max"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and float(v) > 0 and math.isfinite(v)):
                raise DomainError(name, f"must be positive; got {v!r}")
        for name in ("days_past_due", "report_max_age_days"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v >= 0):
                raise DomainError(name, f"must be a non-negative whole number; got {v!r}")
        object.__setattr__(self, "ltv_caps", _by_type(self.ltv_caps, "ltv_caps", float))
        object.__setattr__(self, "onsite_max_days",
                           _by_type(self.onsite_max_days, "onsite_max_days", int))
        object.__setattr__(self, "sensitive_types", frozenset(
            _property_type(t, "sensitive_types") for t in self.sensitive_types))
        unknown = set(self.disabled) - RULE_CODES
        if unknown:
            raise DomainError("disabled", f"unknown trigger codes {sorted(unknown)}")
        for t, cap in self.ltv_caps.items():
            if not 0.0 < cap <= 1.5:
                raise DomainError(f"ltv_caps.{t.value}", f"must be within (0, 1.5]; got {cap}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TriggerThresholds:
        """From a stored parameter table (JSON-like); an unknown key names itself."""
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise DomainError(key, f"unknown trigger threshold; known: {sorted(known)}")
        kwargs = dict(data)
        for key in ("sensitive_types", "disabled"):
            if key in kwargs:
                kwargs[key] = frozenset(kwargs[key])
        return cls(**kwargs)

    def drop_threshold(self, property_type: PropertyType, thin_market: bool = False) -> float:
        """0.05 for commercial, industrial or thin rural markets; 0.10 otherwise."""
        sensitive = thin_market or property_type in self.sensitive_types
        return self.value_drop_sensitive if sensitive else self.value_drop

    def cap_for(self, property_type: PropertyType) -> float | None:
        return self.ltv_caps.get(property_type)


def _property_type(raw: object, field_name: str) -> PropertyType:
    if isinstance(raw, PropertyType):
        return raw
    try:
        return PropertyType(str(raw))
    except ValueError:
        allowed = ", ".join(m.value for m in PropertyType)
        raise DomainError(field_name, f"unknown property type {raw!r}; allowed: {allowed}") \
            from None


def _by_type(table: Mapping[Any, Any], name: str,
             kind: Callable[[Any], Any]) -> dict[PropertyType, Any]:
    return {_property_type(k, name): kind(v) for k, v in table.items()}


@dataclass(frozen=True)
class CollateralState:
    """What the trigger rules read about one collateral and its loan on a given day."""

    property_type: PropertyType
    last_appraised_value: float
    last_appraisal_date: date
    current_value: float
    balance: float
    prior_claims: float = 0.0
    ltv_cap: float | None = None
    days_past_due: int = 0
    classification: FiveCategory = FiveCategory.NORMAL
    previous_classification: FiveCategory = FiveCategory.NORMAL
    seized: bool = False
    damaged: bool = False
    expropriation_notice: bool = False
    dangerous_building_grade: str | None = None
    other_events: tuple[str, ...] = ()
    thin_market: bool = False
    regional_index_yoy: float | None = None
    index_extrapolated: bool = False
    index_covered: bool = True
    avm_fsd: float | None = None
    last_onsite_inspection: date | None = None
    renewal_or_drawdown: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "property_type",
                           _property_type(self.property_type, "property_type"))
        for name in ("classification", "previous_classification"):
            raw = getattr(self, name)
            if not isinstance(raw, FiveCategory):
                try:
                    object.__setattr__(self, name, FiveCategory(str(raw)))
                except ValueError:
                    raise DomainError(name, f"unknown classification {raw!r}") from None
        for name in ("last_appraised_value", "current_value", "balance", "prior_claims"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise DomainError(name, f"must be a non-negative number; got {v!r}")
        if self.last_appraised_value <= 0:
            raise DomainError("last_appraised_value", "must be positive")
        if self.ltv_cap is not None and not 0 < self.ltv_cap <= 1.5:
            raise DomainError("ltv_cap", f"must be within (0, 1.5]; got {self.ltv_cap}")
        if not (isinstance(self.days_past_due, int) and self.days_past_due >= 0):
            raise DomainError("days_past_due", "must be a non-negative whole number")
        if self.dangerous_building_grade not in (None, "A", "B", "C", "D"):
            raise DomainError("dangerous_building_grade", "must be one of A, B, C, D")

    @property
    def ltv(self) -> float:
        return _ltv(self.balance, self.current_value, self.prior_claims)

    @property
    def cltv(self) -> float:
        return _cltv(self.balance, self.current_value, self.prior_claims)


@dataclass(frozen=True, slots=True)
class Trigger:
    """One fired trigger."""

    code: str
    severity: Severity
    message_zh: str
    message_en: str
    observed: float | None = None
    threshold: float | None = None

    def message(self, locale: str = "zh") -> str:
        return self.message_zh if locale.startswith("zh") else self.message_en


Check = Callable[[CollateralState, TriggerThresholds, date],
                 "tuple[float | None, float | None] | None"]


@dataclass(frozen=True, slots=True)
class TriggerRule:
    """A rule: ``check`` returns ``(observed, threshold)`` when it fires, else None. The
    templates are formatted with ``observed`` and ``threshold`` (and ``pct`` variants)."""

    code: str
    severity: Severity
    check: Check
    message_zh: str
    message_en: str
    escalate: Callable[[CollateralState], Severity | None] | None = None


def _pct(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x * 100:.1f}%"


def _num(x: float | None) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):
        return "∞"
    return f"{x:g}" if float(x).is_integer() else f"{x:.4g}"


# ---------------------------------------------------------------------------- checks


def _value_drop(s: CollateralState, t: TriggerThresholds,
                today: date) -> tuple[float | None, float | None] | None:
    threshold = t.drop_threshold(s.property_type, s.thin_market)
    if s.current_value <= (1.0 - threshold) * s.last_appraised_value:
        return 1.0 - s.current_value / s.last_appraised_value, threshold
    return None


def _regional_drop(s: CollateralState, t: TriggerThresholds,
                   today: date) -> tuple[float | None, float | None] | None:
    if s.regional_index_yoy is not None and s.regional_index_yoy <= -t.regional_yoy_drop:
        return s.regional_index_yoy, -t.regional_yoy_drop
    return None


def _cap(s: CollateralState, t: TriggerThresholds) -> float | None:
    return s.ltv_cap if s.ltv_cap is not None else t.cap_for(s.property_type)


def _ltv_breach(s: CollateralState, t: TriggerThresholds,
                today: date) -> tuple[float | None, float | None] | None:
    cap = _cap(s, t)
    if cap is not None and s.ltv > cap:
        return s.ltv, cap
    return None


def _ltv_watch(s: CollateralState, t: TriggerThresholds,
               today: date) -> tuple[float | None, float | None] | None:
    cap = _cap(s, t)
    if cap is not None and t.ltv_watch_fraction * cap < s.ltv <= cap:
        return s.ltv, t.ltv_watch_fraction * cap
    return None


def _cltv_escalate(s: CollateralState, t: TriggerThresholds,
                   today: date) -> tuple[float | None, float | None] | None:
    if s.cltv > t.cltv_escalate:
        return s.cltv, t.cltv_escalate
    return None


def _past_due(s: CollateralState, t: TriggerThresholds,
              today: date) -> tuple[float | None, float | None] | None:
    if s.days_past_due >= t.days_past_due:
        return float(s.days_past_due), float(t.days_past_due)
    return None


def _downgrade(s: CollateralState, t: TriggerThresholds,
               today: date) -> tuple[float | None, float | None] | None:
    now, before = _CLASS_RANK[s.classification], _CLASS_RANK[s.previous_classification]
    return (float(now), float(before)) if now > before else None


def _non_performing(s: CollateralState, t: TriggerThresholds,
                    today: date) -> tuple[float | None, float | None] | None:
    return (float(_CLASS_RANK[s.classification]), 2.0) if s.classification.is_npl else None


def _flag(name: str) -> Check:
    def check(s: CollateralState, t: TriggerThresholds,
              today: date) -> tuple[float | None, float | None] | None:
        return (None, None) if getattr(s, name) else None
    return check


def _dangerous(s: CollateralState, t: TriggerThresholds,
               today: date) -> tuple[float | None, float | None] | None:
    return (None, None) if s.dangerous_building_grade in ("C", "D") else None


def _other_events(s: CollateralState, t: TriggerThresholds,
                  today: date) -> tuple[float | None, float | None] | None:
    return (float(len(s.other_events)), None) if s.other_events else None


def _age_days(since: date, today: date, field_name: str) -> int:
    days = (today - since).days
    if days < 0:
        raise DomainError(field_name, f"{since} is after today ({today})")
    return days


def _stale_report(s: CollateralState, t: TriggerThresholds,
                  today: date) -> tuple[float | None, float | None] | None:
    days = _age_days(s.last_appraisal_date, today, "last_appraisal_date")
    if days > t.report_max_age_days:
        return float(days), float(t.report_max_age_days)
    return None


def _onsite_due(s: CollateralState, t: TriggerThresholds,
                today: date) -> tuple[float | None, float | None] | None:
    limit = t.onsite_max_days.get(s.property_type)
    if limit is None:
        return None
    since = s.last_onsite_inspection or s.last_appraisal_date
    days = _age_days(since, today, "last_onsite_inspection")
    return (float(days), float(limit)) if days > limit else None


def _avm_uncertain(s: CollateralState, t: TriggerThresholds,
                   today: date) -> tuple[float | None, float | None] | None:
    if s.avm_fsd is not None and s.avm_fsd > t.avm_fsd_max:
        return s.avm_fsd, t.avm_fsd_max
    return None


def _no_index(s: CollateralState, t: TriggerThresholds,
              today: date) -> tuple[float | None, float | None] | None:
    return (None, None) if (not s.index_covered or s.index_extrapolated) else None


def _index_rise(s: CollateralState, t: TriggerThresholds,
                today: date) -> tuple[float | None, float | None] | None:
    if s.current_value > s.last_appraised_value:
        return s.current_value / s.last_appraised_value - 1.0, 0.0
    return None


def _stale_escalate(s: CollateralState) -> Severity | None:
    return Severity.BREACH if s.renewal_or_drawdown else None


def _downgrade_escalate(s: CollateralState) -> Severity | None:
    return Severity.URGENT if s.classification.is_npl else None


RULES: tuple[TriggerRule, ...] = (
    TriggerRule("T2_VALUE_DROP", Severity.REVIEW, _value_drop,
                "指数化价值较上次评估下跌{observed_pct}（阈值{threshold_pct}），需重新评估",
                "Indexed value down {observed_pct} since the last appraisal "
                "(threshold {threshold_pct}): queue a re-appraisal"),
    TriggerRule("T2_REGIONAL_DROP", Severity.REVIEW, _regional_drop,
                "区域房价指数同比{observed_pct}（阈值{threshold_pct}），需重新评估",
                "Regional price index {observed_pct} year on year (threshold {threshold_pct}): "
                "queue a re-appraisal"),
    TriggerRule("T3_LTV_BREACH", Severity.BREACH, _ltv_breach,
                "当前抵押率{observed_pct}超过上限{threshold_pct}：要求追加担保、保证人或部分还款",
                "Current LTV {observed_pct} above the cap {threshold_pct}: request extra "
                "collateral, a guarantor or a paydown"),
    TriggerRule("T3_LTV_WATCH", Severity.WATCH, _ltv_watch,
                "当前抵押率{observed_pct}超过上限的90%（{threshold_pct}），列入关注名单",
                "Current LTV {observed_pct} above 90% of the cap ({threshold_pct}): watch list"),
    TriggerRule("T3_CLTV_ESCALATE", Severity.BREACH, _cltv_escalate,
                "综合抵押率{observed_pct}超过{threshold_pct}，上报处理",
                "Combined LTV {observed_pct} above {threshold_pct}: escalate"),
    TriggerRule("T4_PAST_DUE", Severity.REVIEW, _past_due,
                "逾期{observed}天（阈值{threshold}天），30日内重新评估",
                "{observed} days past due (threshold {threshold}): re-appraise within 30 days"),
    TriggerRule("T4_DOWNGRADE", Severity.REVIEW, _downgrade,
                "五级分类下调，30日内重新评估",
                "Loan classification downgraded: re-appraise within 30 days",
                escalate=_downgrade_escalate),
    TriggerRule("T4_NON_PERFORMING", Severity.URGENT, _non_performing,
                "贷款已为不良：现场评估并测算强制变现价值和违约损失率",
                "Non-performing loan: full on-site appraisal with forced-sale value and LGD"),
    TriggerRule("T5_SEIZURE", Severity.URGENT, _flag("seized"),
                "押品被查封或涉诉：立即复核",
                "Collateral seized or in litigation: immediate review"),
    TriggerRule("T5_DAMAGE", Severity.URGENT, _flag("damaged"),
                "押品毁损或遭受灾害：立即复核",
                "Collateral damaged or hit by a disaster: immediate review"),
    TriggerRule("T5_EXPROPRIATION", Severity.URGENT, _flag("expropriation_notice"),
                "押品收到征收通知：立即复核", "Expropriation notice on the collateral: "
                "immediate review"),
    TriggerRule("T5_DANGEROUS_BUILDING", Severity.URGENT, _dangerous,
                "房屋鉴定为C/D级危房：立即复核",
                "Building rated dangerous (C/D): immediate review"),
    TriggerRule("T5_OTHER_EVENT", Severity.REVIEW, _other_events,
                "押品发生重大事项（规划变更、长期租约、权属变更等）：复核",
                "Material event on the collateral (zoning change, long lease, title change): "
                "review"),
    TriggerRule("T6_STALE_REPORT", Severity.REVIEW, _stale_report,
                "估价报告已出具{observed}天，超过有效期{threshold}天：需重新评估",
                "Valuation report {observed} days old, beyond its {threshold}-day validity: "
                "new appraisal", escalate=_stale_escalate),
    TriggerRule("T1_ONSITE_DUE", Severity.INFO, _onsite_due,
                "距上次现场查勘{observed}天，超过{threshold}天：安排现场查勘",
                "{observed} days since the last on-site inspection (cadence {threshold}): "
                "schedule an inspection"),
    TriggerRule("T7_AVM_UNCERTAIN", Severity.INFO, _avm_uncertain,
                "自动估值离散度FSD {observed_pct}超过{threshold_pct}：不自动更新，人工复核",
                "AVM FSD {observed_pct} above {threshold_pct}: no automatic update, manual "
                "review"),
    TriggerRule("T7_NO_INDEX", Severity.INFO, _no_index,
                "价格指数无覆盖或为外推值：不自动更新，人工复核",
                "No index coverage or the index value is carried forward: no automatic "
                "update, manual review"),
    TriggerRule("P_INDEX_RISE", Severity.INFO, _index_rise,
                "指数化价值上涨{observed_pct}：未经评估不提高可贷额度",
                "Indexed value up {observed_pct}: the lendable amount is not raised without an "
                "appraisal"),
)

RULE_CODES = frozenset(r.code for r in RULES)


def _render(template: str, observed: float | None, threshold: float | None) -> str:
    return template.format(observed=_num(observed), threshold=_num(threshold),
                           observed_pct=_pct(observed), threshold_pct=_pct(threshold))


def evaluate_triggers(state: CollateralState, thresholds: TriggerThresholds | None = None,
                      today: date | None = None, *,
                      rules: Iterable[TriggerRule] = RULES) -> list[Trigger]:
    """Every rule that fires for ``state`` on ``today``, most severe first (then by code)."""
    if today is None:
        raise DomainError("today", "the evaluation date is required")
    t = thresholds or TriggerThresholds()
    fired: list[Trigger] = []
    for rule in rules:
        if rule.code in t.disabled:
            continue
        hit = rule.check(state, t, today)
        if hit is None:
            continue
        observed, threshold = hit
        severity = rule.severity
        if rule.escalate is not None:
            severity = rule.escalate(state) or severity
        fired.append(Trigger(rule.code, severity, _render(rule.message_zh, observed, threshold),
                             _render(rule.message_en, observed, threshold), observed, threshold))
    fired.sort(key=lambda tr: (-tr.severity.rank, tr.code))
    return fired


def with_state(state: CollateralState, **changes: Any) -> CollateralState:
    """A copy of ``state`` with ``changes`` (convenience for what-if checks)."""
    return replace(state, **changes)
