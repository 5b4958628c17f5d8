"""Revaluation for monitoring (reference-valuation.md §4.1-4.3).

- :func:`index_revalue`: ``V_t = V_0 × I_t / I_0`` against a :class:`PriceIndex` (chained or
  fixed-base; a damped ratio for rural property), flagging extrapolated index months.
- :func:`component_revalue`: cost-valued property, land indexed and the building re-depreciated
  at its new age (a house-price index does not age the building).
- :func:`ltv_after_revaluation`: current LTV on the mortgage value (``V_t − prior claims``) and
  combined LTV on ``V_t``, against a cap.
- :class:`HedonicModel` / :func:`avm_estimate`: the log-linear time-dummy hedonic AVM with
  Duan smearing, and :func:`avm_accuracy` (MdAPE, PPE10, FSD).

Indexation may only *lower* the lendable value automatically: :attr:`IndexedValue.lendable_value`
is ``min(V_0, V_t)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.index import MonthLike, PriceIndex, month_ordinal, month_period
from mortgage_risk.valuation.newness import DEFAULT_AGE_WEIGHT, age_life_newness, combined_newness

DEFAULT_LTV_WATCH_FRACTION = 0.9
DEFAULT_CLTV_ESCALATE = 0.90


def _finite(name: str, value: float, *, positive: bool = False,
            non_negative: bool = False) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise DomainError(name, f"must be a finite number; got {value!r}")
    if positive and v <= 0:
        raise DomainError(name, f"must be positive; got {value!r}")
    if non_negative and v < 0:
        raise DomainError(name, f"must not be negative; got {value!r}")
    return v


# ---------------------------------------------------------------------------- index revaluation


@dataclass(frozen=True, slots=True)
class IndexedValue:
    """A value brought from ``from_month`` to ``to_month`` by the index."""

    value: float
    ratio: float
    extrapolated: bool
    original_value: float
    from_month: pd.Period
    to_month: pd.Period

    @property
    def change(self) -> float:
        """Relative change, e.g. −0.0761 for −7.61%."""
        return self.ratio - 1.0

    @property
    def lendable_value(self) -> float:
        """``min(V_0, V_t)``: indexation never raises the lendable value without appraisal."""
        return min(self.original_value, self.value)


def index_revalue(value: float, index: PriceIndex, from_date: MonthLike,
                  to_date: MonthLike) -> IndexedValue:
    """``V_t = V_0 × ratio`` with ``ratio = 1 + a·(I_t/I_0 − 1)`` (``I_t/I_0`` when the index
    amplitude is 1). ``extrapolated`` is set when either month lies past the observed series
    (the last value was carried forward)."""
    v0 = _finite("value", value, non_negative=True)
    a = index.point(from_date, "from_date")
    b = index.point(to_date, "to_date")
    raw = b.level / a.level
    ratio = raw if index.amplitude == 1.0 else 1.0 + index.amplitude * (raw - 1.0)
    return IndexedValue(value=v0 * ratio, ratio=ratio,
                        extrapolated=a.extrapolated or b.extrapolated, original_value=v0,
                        from_month=a.month, to_month=b.month)


def age_after(age: float, from_date: MonthLike, to_date: MonthLike) -> float:
    """Effective age moved on by the whole months between the two dates (18 months → +1.5)."""
    t0 = _finite("age", age, non_negative=True)
    months = month_ordinal(to_date, "to_date") - month_ordinal(from_date, "from_date")
    if months < 0:
        raise DomainError("to_date", "must not be before from_date")
    return t0 + months / 12.0


# ---------------------------------------------------------------------------- component


@dataclass(frozen=True, slots=True)
class ComponentRevaluation:
    """``V_t = V_land,0 × LI_t/LI_0 + RC_0 × CCI_t/CCI_0 × q(t) − D_func − D_ext``."""

    value: float
    land_value: float
    building_value: float
    replacement_cost: float
    q_age: float
    q_observed: float
    newness: float
    land_ratio: float
    cost_ratio: float
    age: float
    functional_obsolescence: float
    external_obsolescence: float
    previous_value: float | None = None

    @property
    def change(self) -> float | None:
        """Relative change against ``previous_value`` (None when not given)."""
        if self.previous_value is None or self.previous_value == 0:
            return None
        return self.value / self.previous_value - 1.0

    def breakdown(self) -> dict[str, float | None]:
        return {
            "land_value": self.land_value, "land_ratio": self.land_ratio,
            "replacement_cost": self.replacement_cost, "cost_ratio": self.cost_ratio,
            "age": self.age, "q_age": self.q_age, "q_observed": self.q_observed,
            "newness": self.newness, "functional_obsolescence": self.functional_obsolescence,
            "external_obsolescence": self.external_obsolescence,
            "building_value": self.building_value, "value": self.value,
            "previous_value": self.previous_value, "change": self.change,
        }


def component_revalue(*, land_value: float, replacement_cost: float, age: float,
                      economic_life: float, residual_rate: float,
                      observed_newness: float | None = None, land_ratio: float = 1.0,
                      cost_ratio: float = 1.0, age_weight: float = DEFAULT_AGE_WEIGHT,
                      functional_obsolescence: float = 0.0,
                      external_obsolescence: float = 0.0,
                      previous_value: float | None = None) -> ComponentRevaluation:
    """Revalue a cost-valued property: land by its index ratio (land-price index, or the house
    index as proxy), replacement cost by the construction-cost index ratio, and the building
    re-depreciated with age-life newness at the new effective ``age``.

    ``observed_newness`` is the last observed score (unchanged since the inspection); the
    newness is then ``age_weight·q_age + (1 − age_weight)·q_observed``. Without it the age-life
    newness alone is used. The building value is floored at 0.
    """
    land0 = _finite("land_value", land_value, non_negative=True)
    rc0 = _finite("replacement_cost", replacement_cost, non_negative=True)
    li = _finite("land_ratio", land_ratio, positive=True)
    cci = _finite("cost_ratio", cost_ratio, positive=True)
    d_func = _finite("functional_obsolescence", functional_obsolescence, non_negative=True)
    d_ext = _finite("external_obsolescence", external_obsolescence, non_negative=True)
    q_age = age_life_newness(age, economic_life, residual_rate)
    if observed_newness is None:
        q_obs = q_age
        q = q_age
    else:
        q_obs = _finite("observed_newness", observed_newness)
        q = combined_newness(q_age, q_obs, age_weight)
    land_t = land0 * li
    building_t = max(0.0, rc0 * cci * q - d_func - d_ext)
    return ComponentRevaluation(
        value=land_t + building_t, land_value=land_t, building_value=building_t,
        replacement_cost=rc0 * cci, q_age=q_age, q_observed=q_obs, newness=q, land_ratio=li,
        cost_ratio=cci, age=float(age), functional_obsolescence=d_func,
        external_obsolescence=d_ext, previous_value=previous_value)


# ---------------------------------------------------------------------------- LTV


def ltv(balance: float, value: float, prior_claims: float = 0.0) -> float:
    """``balance / (V_t − P_prior)``; ``inf`` when the mortgage value is not positive and a
    balance is outstanding (0 when nothing is owed)."""
    b = _finite("balance", balance, non_negative=True)
    v = _finite("value", value, non_negative=True)
    p = _finite("prior_claims", prior_claims, non_negative=True)
    mortgage_value = v - p
    if mortgage_value <= 0:
        return math.inf if b > 0 else 0.0
    return b / mortgage_value


def cltv(balance: float, value: float, prior_claims: float = 0.0) -> float:
    """``(balance + P_prior) / V_t``; ``inf`` for a zero value with a positive numerator."""
    b = _finite("balance", balance, non_negative=True)
    v = _finite("value", value, non_negative=True)
    p = _finite("prior_claims", prior_claims, non_negative=True)
    if v <= 0:
        return math.inf if b + p > 0 else 0.0
    return (b + p) / v


@dataclass(frozen=True, slots=True)
class LtvResult:
    """Current LTV and CLTV with the cap checks of §4.4 T3."""

    value: float
    balance: float
    prior_claims: float
    mortgage_value: float
    ltv: float
    cltv: float
    cap: float | None
    breach: bool
    watch: bool
    cltv_escalate: bool
    headroom: float | None = field(default=None)


def ltv_after_revaluation(balance: float, value: float, prior_claims: float = 0.0,
                          cap: float | None = None, *,
                          watch_fraction: float = DEFAULT_LTV_WATCH_FRACTION,
                          cltv_escalate: float = DEFAULT_CLTV_ESCALATE) -> LtvResult:
    """LTV and CLTV on a revalued ``value``: ``breach`` when LTV > cap, ``watch`` when
    cap ≥ LTV > watch_fraction × cap, ``cltv_escalate`` when CLTV > ``cltv_escalate``.
    ``headroom`` is the loan amount that can still be drawn under the cap (negative: the
    paydown needed)."""
    lv = ltv(balance, value, prior_claims)
    cl = cltv(balance, value, prior_claims)
    mv = float(value) - float(prior_claims)
    breach = watch = False
    headroom: float | None = None
    if cap is not None:
        c = _finite("cap", cap, positive=True)
        breach = lv > c
        watch = (not breach) and lv > watch_fraction * c
        headroom = c * max(mv, 0.0) - float(balance)
    return LtvResult(value=float(value), balance=float(balance),
                     prior_claims=float(prior_claims), mortgage_value=mv, ltv=lv, cltv=cl,
                     cap=cap, breach=breach, watch=watch, cltv_escalate=cl > cltv_escalate,
                     headroom=headroom)


# ---------------------------------------------------------------------------- hedonic AVM


def duan_smearing(residuals: npt.ArrayLike) -> float:
    """Duan's smearing factor ``mean(exp(residuals))`` of a log-price regression."""
    r = np.asarray(residuals, dtype=np.float64)
    if r.size == 0 or not np.all(np.isfinite(r)):
        raise DomainError("residuals", "need at least one finite residual")
    return float(np.mean(np.exp(r)))


def normal_smearing(sigma: float) -> float:
    """``exp(σ²/2)``, the smearing factor for normal residuals."""
    s = _finite("sigma", sigma, non_negative=True)
    return math.exp(s * s / 2.0)


@dataclass(frozen=True)
class HedonicModel:
    """A time-dummy log-linear hedonic model (§4.3).

    ``ln P = β0 + Σ β_k·x_k (``ln x_k`` for ``log_features``) + Σ dummy coefficients + δ_T``.
    Categorical variables are one-hot: ``dummies[variable][level]`` with the base level absent
    (coefficient 0). ``time_effects`` maps a month (``"YYYY-MM"``) to δ (base period 0).
    ``smearing`` defaults to ``exp(σ²/2)`` when only ``sigma`` is known.
    """

    intercept: float
    slopes: Mapping[str, float]
    log_features: frozenset[str] = frozenset()
    dummies: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    time_effects: Mapping[str, float] = field(default_factory=dict)
    sigma: float | None = None
    smearing: float | None = None

    def index(self) -> pd.Series:
        """``index_t = exp(δ_t)`` by month (×100)."""
        items = sorted((pd.Period(k, freq="M"), v) for k, v in self.time_effects.items())
        return pd.Series([100.0 * math.exp(v) for _, v in items],
                         index=pd.PeriodIndex([k for k, _ in items], freq="M"), dtype=float)


@dataclass(frozen=True, slots=True)
class AvmEstimate:
    ln_price: float
    price: float
    smeared_price: float
    low: float | None
    high: float | None


def avm_estimate(model: HedonicModel, numeric: Mapping[str, float],
                 categorical: Mapping[str, str] | None = None,
                 period: MonthLike | None = None, *,
                 time_effect: float | None = None) -> AvmEstimate:
    """``exp(x'β + δ_T) × smearing``; ``low``/``high`` is the ±1σ band ``exp(ln P ± σ)``.

    Give the period (looked up in ``model.time_effects``) or ``time_effect`` directly.
    """
    ln_p = float(model.intercept)
    for name, beta in model.slopes.items():
        if name not in numeric:
            raise DomainError(name, "missing feature for the hedonic model")
        x = _finite(name, numeric[name])
        if name in model.log_features:
            if x <= 0:
                raise DomainError(name, f"must be positive for a log feature; got {x}")
            x = math.log(x)
        ln_p += beta * x
    cats = categorical or {}
    for variable, levels in model.dummies.items():
        if variable not in cats:
            raise DomainError(variable, "missing categorical feature for the hedonic model")
        ln_p += float(levels.get(cats[variable], 0.0))
    if time_effect is not None:
        ln_p += float(time_effect)
    elif period is not None:
        key = str(month_period(month_ordinal(period, "period")))
        if key not in model.time_effects:
            raise DomainError("period", f"no time effect for {key}")
        ln_p += float(model.time_effects[key])
    price = math.exp(ln_p)
    if model.smearing is not None:
        smear = float(model.smearing)
    elif model.sigma is not None:
        smear = normal_smearing(model.sigma)
    else:
        smear = 1.0
    low = high = None
    if model.sigma is not None:
        low, high = math.exp(ln_p - model.sigma), math.exp(ln_p + model.sigma)
    return AvmEstimate(ln_price=ln_p, price=price, smeared_price=price * smear, low=low,
                       high=high)


@dataclass(frozen=True, slots=True)
class AvmAccuracy:
    n: int
    mdape: float
    ppe10: float
    fsd: float

    def auto_update_allowed(self, max_fsd: float = 0.15, min_ppe10: float = 0.60) -> bool:
        """§4.3: auto-update only if FSD ≤ 0.15 and PPE10 ≥ 60% in the segment."""
        return self.fsd <= max_fsd and self.ppe10 >= min_ppe10


def avm_accuracy(predicted: npt.ArrayLike, actual: npt.ArrayLike) -> AvmAccuracy:
    """MdAPE, PPE10 and FSD of out-of-sample predictions against sale prices."""
    p = np.asarray(predicted, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if p.shape != a.shape or p.size == 0:
        raise DomainError("predicted", "must match actual and be non-empty")
    if np.any(a <= 0) or not np.all(np.isfinite(p)):
        raise DomainError("actual", "prices must be positive and predictions finite")
    err: Any = (p - a) / a
    return AvmAccuracy(n=int(p.size), mdape=float(np.median(np.abs(err))),
                       ppe10=float(np.mean(np.abs(err) <= 0.10)),
                       fsd=float(np.std(err, ddof=1)) if p.size > 1 else 0.0)
