"""A fitted scorecard as plain, versioned, checksummed JSON (no pickle).

File layout: one JSON object holding the *body* (every key below except ``sha256``) and
``sha256``, the hex SHA-256 of the body's canonical JSON (``sort_keys=True``, separators
``(",", ":")``, UTF-8). ``load`` recomputes the hash and refuses a file whose body was changed.

Body keys: ``format`` ("mortgage-risk-scorecard"), ``format_version``, ``model_version``,
``created_at`` (UTC ISO 8601), ``params`` (constructor parameters), ``features``, ``bins``
(``FeatureBins.to_dict`` of every binned feature), ``input_numeric``, ``coefficients``
(feature -> estimate, se, z, pvalue), ``intercept`` (+ se, z, pvalue), ``points``, ``scaling``,
``master_scale``, ``calibration``, ``dropped`` (feature -> reason), ``iv``, ``training``
(rows, bad rate, AUC, ...), ``classes``, ``feature_names_in``, ``versions``.

Floats are written with Python's shortest round-trip repr, so a reloaded model has bit-identical
coefficients, WoE and points and scores identically. NaN (e.g. an undefined p-value) is null.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from mortgage_risk.scoring.master_scale import MasterScale
from mortgage_risk.scoring.scorecard import Scorecard

FORMAT = "mortgage-risk-scorecard"
FORMAT_VERSION = 1


class ArtifactError(ValueError):
    """The file is not a valid scorecard artifact (wrong format, version or checksum)."""


def _f(value: Any) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _f(value)
    return value


def canonical(body: dict[str, Any]) -> bytes:
    """The canonical bytes the checksum covers."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def model_body(model: Scorecard, *, model_version: str | None = None,
               created_at: datetime | None = None) -> dict[str, Any]:
    """The artifact body of a fitted scorecard (a plain dict)."""
    check_is_fitted(model, "features_")
    when = (created_at or datetime.now(UTC)).astimezone(UTC)
    r = model.logit_
    params = {k: v for k, v in model.get_params(deep=False).items()
              if k not in ("binning_process", "selector", "master_scale")}
    bad_value = params.get("bad_value")
    if bad_value is not None and not isinstance(bad_value, str | int | float | bool):
        raise ValueError(f"bad_value {bad_value!r} cannot be stored in JSON")
    import sklearn

    import mortgage_risk

    body: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_version": model_version or when.strftime("%Y%m%dT%H%M%SZ"),
        "created_at": when.isoformat(timespec="seconds"),
        "params": params,
        "features": list(model.features_),
        "bins": {name: fb.to_dict() for name, fb in model.bins_.items()},
        "input_numeric": dict(model.input_numeric_),
        "coefficients": {
            name: {"estimate": float(c), "se": _f(se), "z": _f(z), "pvalue": _f(p)}
            for name, c, se, z, p in zip(model.features_, model.coef_, r.se, r.z, r.pvalues,
                                         strict=True)},
        "intercept": {"estimate": float(model.intercept_), "se": _f(r.intercept_se),
                      "z": _f(r.intercept_z), "pvalue": _f(r.intercept_pvalue)},
        "fit": {"converged": bool(r.converged), "n_iter": int(r.n_iter),
                "loglik": float(r.loglik)},
        "points": {name: model.points_[name].tolist() for name in model.features_},
        "scaling": dict(model.scaling_.to_dict(), factor=model.scaling_.factor,
                        offset=model.scaling_.offset),
        "master_scale": model.master_scale_.to_dict(),
        "calibration": None if model.calibration_ is None else model.calibration_.to_dict(),
        "dropped": dict(model.dropped_),
        "iv": dict(model.iv_),
        "training": dict(model.training_),
        "classes": np.asarray(model.classes_).tolist(),
        "feature_names_in": [str(c) for c in model.feature_names_in_],
        "versions": {"mortgage_risk": getattr(mortgage_risk, "__version__", "unknown"),
                     "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                     "python": platform.python_version()},
    }
    return _jsonable(body)  # type: ignore[no-any-return]


def to_json(model: Scorecard, *, model_version: str | None = None,
            created_at: datetime | None = None, indent: int | None = 1) -> str:
    """The artifact as a JSON string (body + ``sha256``)."""
    body = model_body(model, model_version=model_version, created_at=created_at)
    digest = hashlib.sha256(canonical(body)).hexdigest()
    return json.dumps({**body, "sha256": digest}, sort_keys=True, indent=indent,
                      ensure_ascii=False, allow_nan=False)


def save(model: Scorecard, path: str | os.PathLike[str], *,
         model_version: str | None = None) -> Path:
    """Write the artifact atomically (a temporary file renamed into place: no partial file)."""
    target = Path(path)
    text = to_json(model, model_version=model_version)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def from_json(text: str) -> Scorecard:
    """Rebuild a scorecard from artifact JSON, verifying format, version and SHA-256."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"not a JSON scorecard artifact: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArtifactError(f"not a scorecard artifact (format must be {FORMAT!r})")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(f"unsupported artifact format_version {version!r}; "
                            f"this library reads {FORMAT_VERSION}")
    stored = data.pop("sha256", None)
    if not isinstance(stored, str):
        raise ArtifactError("artifact has no sha256 checksum")
    actual = hashlib.sha256(canonical(data)).hexdigest()
    if actual != stored:
        raise ArtifactError(f"artifact checksum mismatch: the file was modified after it was "
                            f"written (stored sha256 {stored[:12]}..., content {actual[:12]}...)")
    return _model_from_body(data)


def load(path: str | os.PathLike[str]) -> Scorecard:
    """Read and verify an artifact file written by :func:`save`."""
    return from_json(Path(path).read_text(encoding="utf-8"))


def _model_from_body(body: dict[str, Any]) -> Scorecard:
    features = body["features"]
    coefs = body["coefficients"]
    icpt = body["intercept"]
    state = {
        "classes": body["classes"], "feature_names_in": body["feature_names_in"],
        "bins": body["bins"], "iv": body["iv"], "features": features,
        "input_numeric": body["input_numeric"],
        "coef": [coefs[f]["estimate"] for f in features],
        "se": [coefs[f]["se"] for f in features], "z": [coefs[f]["z"] for f in features],
        "pvalues": [coefs[f]["pvalue"] for f in features],
        "intercept": icpt["estimate"], "intercept_se": icpt["se"], "intercept_z": icpt["z"],
        "intercept_pvalue": icpt["pvalue"], **body["fit"],
        "calibration": body["calibration"], "scaling": body["scaling"],
        "master_scale": body["master_scale"], "dropped": body["dropped"],
        "training": body["training"],
    }
    params = dict(body["params"])
    scale = MasterScale.from_dict(body["master_scale"])
    params["master_scale"] = None if scale == MasterScale() else scale
    model = Scorecard._restore(params, state)
    for name in features:
        if not np.array_equal(model.points_[name], np.asarray(body["points"][name])):
            raise ArtifactError(f"artifact points of {name!r} do not match its coefficients")
    model.model_version_ = body["model_version"]
    return model
