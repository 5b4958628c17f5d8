"""Sampling loan files for manual review (抽查): at random, or weighted towards risk.

Risk-based sampling weighs each file ``base`` plus a weight for each risk it shows: an
override, exceptions (failed checks or flags), an early default, and an officer whose warning
rate is at least ``high_warning_rate_ratio`` times the union's. Files are drawn without
replacement in proportion to their weights (Efraimidis-Spirakis keys from a numpy Generator),
so the same files, seed and weights always give the same sample, whatever the input order.
The weights are versioned data (the check set's ``sampling`` section).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd

from mortgage_risk.domain.errors import DomainError
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.supervision import _read as r
from mortgage_risk.supervision.facts import FactParameters, file_facts
from mortgage_risk.supervision.findings import FindingDraft
from mortgage_risk.supervision.loan_file import LoanFile

RISK_REASONS: Final = ("override", "exception", "early_default", "high_warning_officer")
PROFILE_COLUMNS: Final = ("file_id", "branch_id", "officer", "override", "exceptions",
                          "early_default", "warnings")


@dataclass(frozen=True)
class SamplingWeights:
    """How much each risk adds to a file's chance of being drawn (``base`` for every file)."""

    base: float = 1.0
    override: float = 5.0
    exception: float = 3.0
    early_default: float = 6.0
    high_warning_officer: float = 2.0
    high_warning_rate_ratio: float = 1.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not np.isfinite(value) or value < 0:
                raise DomainError(f"sampling.{f.name}", f"must be a number >= 0; got {value!r}")
        if self.base <= 0:
            raise DomainError("sampling.base", "must be above 0 so that every file can be drawn")

    @classmethod
    def from_dict(cls, raw: Any, path: str = "sampling") -> SamplingWeights:
        d = r.obj(raw, path)
        known = {f.name for f in fields(cls)}
        for key in d:
            if key not in known and not str(key).startswith("_"):
                raise DomainError(r.at(path, str(key)), "unknown field")
        return cls(**{k: d[k] for k in known if k in d})

    def to_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SampledFile:
    """A file drawn for review, why, and the weight it was drawn with."""

    file_id: Any
    reasons: tuple[str, ...]
    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "reasons": list(self.reasons), "weight": self.weight}


def _size(n: int, population: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise DomainError("n", f"must be a whole number >= 0; got {n!r}")
    return min(int(n), population)


def _order(ids: Sequence[Any]) -> list[int]:
    """Positions of ``ids`` in sorted order (so the input order does not change a sample);
    refuses duplicates."""
    seen: set[Any] = set()
    for i in ids:
        if i in seen:
            raise DomainError("file_ids", f"file {i!r} is listed twice")
        seen.add(i)
    try:
        return sorted(range(len(ids)), key=lambda k: ids[k])
    except TypeError:
        return list(range(len(ids)))


def random_sample(file_ids: Iterable[Any], n: int, seed: int) -> list[SampledFile]:
    """``min(n, population)`` files drawn uniformly without replacement."""
    raw = list(file_ids)
    ids = [raw[k] for k in _order(raw)]
    k = _size(n, len(ids))
    picks = np.random.default_rng(seed).choice(len(ids), size=k, replace=False)
    return [SampledFile(ids[int(i)], ("random",)) for i in picks]


def _column(files: pd.DataFrame, name: str, kind: str) -> np.ndarray:
    if name not in files.columns:
        return np.zeros(len(files), dtype=kind)
    values = files[name].to_numpy(dtype=object)
    present = ~pd.isna(values)
    out = np.zeros(len(files), dtype=kind)
    out[present] = values[present].astype(kind)
    if kind == "float64" and (out < 0).any():
        raise DomainError(f"files.{name}", "must not be negative")
    return out


def _risks(files: pd.DataFrame, w: SamplingWeights
           ) -> tuple[list[Any], dict[str, np.ndarray], np.ndarray]:
    """File ids in sorted order, each risk flag and each weight, in that order."""
    for col in ("file_id", "officer"):
        if col not in files.columns:
            raise DomainError(f"files.{col}", "required column")
    raw_ids = list(files["file_id"])
    order = np.asarray(_order(raw_ids), dtype=int)
    ids = [raw_ids[k] for k in order]
    codes, _ = pd.factorize(files["officer"].to_numpy(dtype=object)[order],
                            use_na_sentinel=False)
    warnings = _column(files, "warnings", "float64")[order]
    per_file = np.bincount(codes, minlength=codes.max() + 1 if len(codes) else 0)
    rates = np.bincount(codes, weights=warnings, minlength=len(per_file)) / \
        np.maximum(per_file, 1)
    union = warnings.sum() / len(ids) if len(ids) else 0.0
    flags = {"override": _column(files, "override", "bool")[order],
             "exception": _column(files, "exceptions", "float64")[order] > 0,
             "early_default": _column(files, "early_default", "bool")[order],
             "high_warning_officer": (rates[codes] >= w.high_warning_rate_ratio * union)
             if union > 0 else np.zeros(len(ids), dtype=bool)}
    weight = np.full(len(ids), w.base)
    for name in RISK_REASONS:
        weight = weight + getattr(w, name) * flags[name]
    return ids, flags, weight


def risk_weights(files: pd.DataFrame, weights: SamplingWeights | None = None) -> pd.DataFrame:
    """Each file (ordered by id) with its risk flags and its sampling weight."""
    ids, flags, weight = _risks(files, weights or SamplingWeights())
    return pd.DataFrame({"file_id": ids, **flags, "weight": weight})


def risk_sample(files: pd.DataFrame, n: int, seed: int,
                weights: SamplingWeights | None = None) -> list[SampledFile]:
    """``min(n, population)`` files drawn without replacement with probability growing with
    their weight; each with the risks it shows (``("random",)`` for a clean file).

    ``files`` has ``file_id`` and ``officer`` and optionally ``override``, ``exceptions``,
    ``early_default`` and ``warnings`` (see :func:`sampling_profile`).
    """
    ids, flags, weight = _risks(files, weights or SamplingWeights())
    k = _size(n, len(ids))
    keys = np.log(np.random.default_rng(seed).random(len(ids))) / weight
    out = []
    for i in np.argsort(-keys, kind="stable")[:k]:
        reasons = tuple(name for name in RISK_REASONS if flags[name][i]) or ("random",)
        out.append(SampledFile(ids[int(i)], reasons, float(weight[i])))
    return out


def sampling_profile(files: Iterable[LoanFile], drafts: Iterable[FindingDraft] = (), *,
                     as_of: date, parameters: FactParameters | None = None,
                     policy: MonitoringPolicy | None = None,
                     flags: Mapping[int, int] | None = None) -> pd.DataFrame:
    """The sampling profile of loan files: overrides, exceptions (failed checks, plus any
    identification flags counted in ``flags`` by file id), early defaults, warnings."""
    failed: dict[int | None, int] = {}
    for d in drafts:
        failed[d.file_id] = failed.get(d.file_id, 0) + 1
    rows = []
    for f in files:
        facts = file_facts(f, as_of=as_of, parameters=parameters, policy=policy)
        rows.append({"file_id": f.file_id, "branch_id": f.application.branch_id,
                     "officer": f.application.officer, "override": facts["override"],
                     "exceptions": failed.get(f.file_id, 0) + (flags or {}).get(f.file_id, 0),
                     "early_default": facts["early_default"],
                     "warnings": facts["warnings_count"]})
    return pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))
