"""Vectorised batch revaluation of a whole book against a :class:`PriceIndex`.

One call revalues every property with numpy array operations (no Python loop per property):
current indexed value, ratio, extrapolation flag, LTV, CLTV and the array-computable trigger
flags (value drop, LTV breach / watch, CLTV escalation, stale report). It gives exactly the
values of the scalar functions (:func:`~mortgage_risk.valuation.revaluation.index_revalue`,
:func:`~mortgage_risk.valuation.revaluation.ltv`, :func:`~.revaluation.cltv`) and the same
boundaries as :func:`~mortgage_risk.valuation.triggers.evaluate_triggers`; the event-driven
triggers (past due, downgrade, seizure, ...) need loan data and stay with the scalar rules.

Property types are integer codes into :data:`PROPERTY_TYPES` (``encode_property_types``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from mortgage_risk.domain import DomainError, PropertyType
from mortgage_risk.valuation.index import PriceIndex, month_ordinal, month_ordinals
from mortgage_risk.valuation.triggers import TriggerThresholds

PROPERTY_TYPES: Final[tuple[PropertyType, ...]] = tuple(PropertyType)

# Share of the city index movement each type follows (the synthetic book's ``hpi_amplitude``).
DEFAULT_HPI_AMPLITUDE: Final[Mapping[PropertyType, float]] = {
    PropertyType.URBAN_HOUSING: 1.0,
    PropertyType.RURAL_HOUSE: 0.5,
    PropertyType.SHOP: 1.0,
    PropertyType.OFFICE: 1.0,
    PropertyType.FACTORY_WAREHOUSE: 0.5,
    PropertyType.STATE_LAND_USE_RIGHT: 0.5,
    PropertyType.LAND_MANAGEMENT_RIGHT: 0.0,
}
DEFAULT_RURAL_AMPLITUDE: Final = 0.5

FLAG_VALUE_DROP: Final = 1
FLAG_LTV_BREACH: Final = 2
FLAG_LTV_WATCH: Final = 4
FLAG_CLTV_ESCALATE: Final = 8
FLAG_STALE_REPORT: Final = 16
FLAG_EXTRAPOLATED: Final = 32
FLAG_NAMES: Final[Mapping[int, str]] = {
    FLAG_VALUE_DROP: "value_drop", FLAG_LTV_BREACH: "ltv_breach", FLAG_LTV_WATCH: "ltv_watch",
    FLAG_CLTV_ESCALATE: "cltv_escalate", FLAG_STALE_REPORT: "stale_report",
    FLAG_EXTRAPOLATED: "extrapolated",
}

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def encode_property_types(values: Sequence[PropertyType | str] | npt.ArrayLike) -> npt.NDArray[
        np.int8]:
    """Property types (enum members or their values) → int8 codes into ``PROPERTY_TYPES``."""
    arr = np.asarray(values, dtype=object)
    codes = np.full(arr.shape, -1, dtype=np.int8)
    for code, member in enumerate(PROPERTY_TYPES):
        codes[arr == member.value] = code
    if (codes < 0).any():
        bad = arr[codes < 0][0]
        allowed = ", ".join(m.value for m in PROPERTY_TYPES)
        raise DomainError("property_type", f"unknown property type {bad!r}; allowed: {allowed}")
    return codes


def _table(mapping: Mapping[PropertyType, float], default: float) -> F64:
    return np.array([float(mapping.get(t, default)) for t in PROPERTY_TYPES], dtype=np.float64)


def _float_array(name: str, values: Any, n: int | None, *, non_negative: bool = True) -> F64:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0 and n is not None:
        arr = np.full(n, float(arr))
    if arr.ndim != 1:
        raise DomainError(name, "must be one-dimensional")
    if n is not None and arr.size != n:
        raise DomainError(name, f"has {arr.size} entries; expected {n}")
    if arr.size:
        lo, hi = float(arr.min()), float(arr.max())  # NaN propagates through min/max
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise DomainError(name, "contains missing or infinite values")
        if non_negative and lo < 0:
            raise DomainError(name, "contains negative values")
    return arr


@dataclass(frozen=True)
class BatchResult:
    """Per-property arrays of a batch revaluation (aligned with the inputs)."""

    as_of: date
    value: F64
    ratio: F64
    amplitude: F64
    extrapolated: B
    ltv: F64
    cltv: F64
    cap: F64
    value_drop: B
    ltv_breach: B
    ltv_watch: B
    cltv_escalate: B
    stale_report: B
    report_age_days: npt.NDArray[np.int64]

    @property
    def size(self) -> int:
        return int(self.value.size)

    @property
    def flags(self) -> npt.NDArray[np.uint8]:
        """Bitmask of ``FLAG_*`` per property."""
        out = np.zeros(self.size, dtype=np.uint8)
        for bit, arr in ((FLAG_VALUE_DROP, self.value_drop), (FLAG_LTV_BREACH, self.ltv_breach),
                         (FLAG_LTV_WATCH, self.ltv_watch),
                         (FLAG_CLTV_ESCALATE, self.cltv_escalate),
                         (FLAG_STALE_REPORT, self.stale_report),
                         (FLAG_EXTRAPOLATED, self.extrapolated)):
            shift = np.uint8(int(bit).bit_length() - 1)
            out |= np.left_shift(arr.view(np.uint8), shift)
        return out

    @property
    def needs_reappraisal(self) -> B:
        """Value drop, LTV breach or a stale report."""
        return np.asarray(self.value_drop | self.ltv_breach | self.stale_report, dtype=np.bool_)

    def summary(self) -> dict[str, int]:
        """Counts per flag plus ``n`` and ``needs_reappraisal``."""
        out = {"n": self.size}
        for name in ("value_drop", "ltv_breach", "ltv_watch", "cltv_escalate", "stale_report",
                     "extrapolated"):
            out[name] = int(np.count_nonzero(getattr(self, name)))
        out["needs_reappraisal"] = int(np.count_nonzero(self.needs_reappraisal))
        return out

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({
            "value": self.value, "ratio": self.ratio, "amplitude": self.amplitude,
            "extrapolated": self.extrapolated, "ltv": self.ltv, "cltv": self.cltv,
            "cap": self.cap, "value_drop": self.value_drop, "ltv_breach": self.ltv_breach,
            "ltv_watch": self.ltv_watch, "cltv_escalate": self.cltv_escalate,
            "stale_report": self.stale_report, "report_age_days": self.report_age_days,
        })


def batch_revalue(index: PriceIndex, as_of: date, *, last_value: npt.ArrayLike,
                  appraised_on: Any, balance: npt.ArrayLike,
                  prior_claims: npt.ArrayLike | float = 0.0,
                  ltv_cap: npt.ArrayLike | float | None = None,
                  property_type: npt.ArrayLike | None = None,
                  rural: npt.ArrayLike | None = None,
                  amplitude: npt.ArrayLike | float | None = None,
                  amplitude_by_type: Mapping[PropertyType, float] = DEFAULT_HPI_AMPLITUDE,
                  rural_amplitude: float = DEFAULT_RURAL_AMPLITUDE,
                  thresholds: TriggerThresholds | None = None) -> BatchResult:
    """Revalue every property from its appraisal month to ``as_of``.

    - ``appraised_on``: ``datetime64`` of any unit (days give the report age to the day;
      months count from the first of the month) or integer month ordinals.
    - ``property_type``: int codes into :data:`PROPERTY_TYPES`; with it the amplitude, the
      drop threshold and (when ``ltv_cap`` is None) the cap come from the type tables.
    - ``rural``: thin rural market: amplitude ``min(type amplitude, rural_amplitude)`` and the
      sensitive drop threshold (0.05).
    - ``amplitude``: explicit per-property amplitudes (override the above); without types
      or amplitudes the index's own amplitude applies.

    Ratio ``1 + a·(I_T/I_0 − 1)`` (exactly ``I_T/I_0`` where ``a = 1``), value ``V_0·ratio``,
    LTV ``balance/(V − prior)``, CLTV ``(balance + prior)/V``; flags as in ``triggers``.
    """
    t = thresholds or TriggerThresholds()
    v0 = _float_array("last_value", last_value, None)
    n = int(v0.size)
    bal = _float_array("balance", balance, n)
    prior = _float_array("prior_claims", prior_claims, n)

    raw_on = np.asarray(appraised_on)
    if raw_on.shape != (n,):
        raise DomainError("appraised_on", f"must have {n} entries")
    months = month_ordinals(raw_on, "appraised_on")
    if np.issubdtype(raw_on.dtype, np.datetime64) and np.datetime_data(raw_on.dtype)[0] == "D":
        report_day = raw_on.view(np.int64)
    elif np.issubdtype(raw_on.dtype, np.datetime64):
        report_day = raw_on.astype("datetime64[D]").view(np.int64)
    else:
        report_day = months.astype("datetime64[M]").astype("datetime64[D]").view(np.int64)
    as_of_day = int(np.datetime64(as_of, "D").astype(np.int64))
    age_days = as_of_day - report_day
    if n and int(age_days.min()) < 0:
        raise DomainError("appraised_on", f"{int((age_days < 0).sum())} appraisal(s) after "
                                          f"as_of {as_of}")

    # Per-property parameters by one small-table lookup on ``2·type + rural``.
    n_types = len(PROPERTY_TYPES)
    key: npt.NDArray[np.integer[Any]] | None = None
    if property_type is not None:
        codes = np.asarray(property_type)
        if codes.shape != (n,) or not np.issubdtype(codes.dtype, np.integer):
            raise DomainError("property_type", f"must be {n} integer codes")
        if n and (int(codes.min()) < 0 or int(codes.max()) >= n_types):
            raise DomainError("property_type", "codes must index PROPERTY_TYPES")
        key = codes.astype(np.int16) * 2
    rural_mask: B | None = None
    if rural is not None:
        rural_mask = np.asarray(rural, dtype=np.bool_)
        if rural_mask.shape != (n,):
            raise DomainError("rural", f"must have {n} entries")
        key = rural_mask.astype(np.int16) if key is None else key + rural_mask
    if key is None:
        key = np.zeros(n, dtype=np.int16)
    type_amp = (_table(amplitude_by_type, 1.0) if property_type is not None
                else np.full(n_types, float(index.amplitude)))
    amp_table = np.empty(2 * n_types)
    amp_table[0::2] = type_amp
    amp_table[1::2] = np.minimum(type_amp, rural_amplitude)
    sensitive_table = np.repeat(np.array(
        [property_type is not None and ty in t.sensitive_types for ty in PROPERTY_TYPES]), 2)
    sensitive_table[1::2] = True
    keep_table = np.where(sensitive_table, 1.0 - t.value_drop_sensitive, 1.0 - t.value_drop)

    if amplitude is not None:
        amp = _float_array("amplitude", amplitude, n)
    else:
        amp = amp_table[key]
    if n and float(amp.max()) > 1.0:
        raise DomainError("amplitude", "must be within [0, 1]")

    # index ratio: 1 + a·(I_T/I_0 − 1), exactly I_T/I_0 where a = 1
    level0, extrap0 = index.lookup(months, "appraised_on")
    end = index.point(month_ordinal(as_of, "as_of"), "as_of")
    raw = np.divide(end.level, level0)
    ratio = raw - 1.0
    ratio *= amp
    ratio += 1.0
    np.copyto(ratio, raw, where=amp == 1.0)
    del raw
    extrapolated = extrap0 | end.extrapolated if end.extrapolated else extrap0
    value = v0 * ratio

    # LTV / CLTV (the scalar ltv()/cltv() conventions for a non-positive denominator)
    mortgage = value - prior
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv = np.divide(bal, mortgage)
        cltv = bal + prior
        cltv /= value
    bad = mortgage <= 0
    if bad.any():
        ltv[bad] = np.where(bal[bad] > 0, np.inf, 0.0)
    del mortgage
    bad = value <= 0
    if bad.any():
        cltv[bad] = np.where(bal[bad] + prior[bad] > 0, np.inf, 0.0)

    # caps
    if ltv_cap is not None:
        cap = _float_array("ltv_cap", ltv_cap, n)
        if n and float(cap.min()) <= 0:
            raise DomainError("ltv_cap", "caps must be positive")
    elif property_type is not None:
        cap_table = np.repeat(_table(t.ltv_caps, np.nan), 2)
        cap = cap_table[key]
        if np.isnan(cap).any():
            raise DomainError("ltv_cap", "no cap for some property types")
    else:
        raise DomainError("ltv_cap", "give caps or property types")

    value_drop = value <= keep_table[key] * v0
    ltv_breach = ltv > cap
    ltv_watch = (ltv > t.ltv_watch_fraction * cap) & ~ltv_breach
    cltv_escalate = cltv > t.cltv_escalate
    stale = age_days > t.report_max_age_days
    return BatchResult(as_of=as_of, value=value, ratio=ratio, amplitude=amp,
                       extrapolated=np.asarray(extrapolated, dtype=np.bool_), ltv=ltv, cltv=cltv,
                       cap=cap, value_drop=value_drop, ltv_breach=ltv_breach,
                       ltv_watch=ltv_watch, cltv_escalate=cltv_escalate, stale_report=stale,
                       report_age_days=age_days)
