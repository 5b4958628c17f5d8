"""JSON artifact: exact round trip, checksum, format errors, atomic save."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mortgage_risk.scoring import ArtifactError, MasterScale, Scorecard, load, save, to_json
from mortgage_risk.scoring.artifact import from_json
from tests.scoring.test_scorecard import binning, make_applications


@pytest.fixture(scope="module")
def fitted() -> tuple[Scorecard, pd.DataFrame]:
    X, y = make_applications(6000, seed=3)
    ms = MasterScale((0.01, 0.05, 0.2, 1.0), ("low", "medium", "high", "very high"))
    return Scorecard(binning(), target_pd=0.04, master_scale=ms).fit(X, y), X


def test_round_trip_scores_identically(fitted: tuple[Scorecard, pd.DataFrame],
                                       tmp_path: Path) -> None:
    model, X = fitted
    path = save(model, tmp_path / "model.json", model_version="2026.1")
    loaded = load(path)
    np.testing.assert_array_equal(loaded.score(X), model.score(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.grade(X), model.grade(X))
    pd.testing.assert_frame_equal(loaded.reason_codes(X.head(50)), model.reason_codes(X.head(50)))
    pd.testing.assert_frame_equal(loaded.points_table(), model.points_table())
    assert loaded.model_version_ == "2026.1"
    assert loaded.master_scale_ == model.master_scale_
    assert loaded.dropped_ == model.dropped_ and loaded.training_ == model.training_
    assert loaded.get_params()["pdo"] == model.pdo
    body = json.loads(path.read_text())
    for key in ("format", "format_version", "model_version", "created_at", "bins",
                "coefficients", "intercept", "scaling", "master_scale", "calibration",
                "dropped", "training", "sha256"):
        assert key in body
    assert body["training"]["auc"] == model.training_["auc"]
    assert not list(tmp_path.glob(".model.json.*"))  # no temporary file left behind


def test_tampering_is_detected(fitted: tuple[Scorecard, pd.DataFrame]) -> None:
    model, _ = fitted
    data = json.loads(to_json(model))
    name = model.features_[0]
    data["coefficients"][name]["estimate"] *= 1.01
    with pytest.raises(ArtifactError, match="checksum"):
        from_json(json.dumps(data))
    data = json.loads(to_json(model))
    del data["sha256"]
    with pytest.raises(ArtifactError, match="sha256"):
        from_json(json.dumps(data))


def test_format_errors(fitted: tuple[Scorecard, pd.DataFrame]) -> None:
    model, _ = fitted
    with pytest.raises(ArtifactError, match="JSON"):
        from_json("not json")
    with pytest.raises(ArtifactError, match="format"):
        from_json(json.dumps({"format": "pickle"}))
    data = json.loads(to_json(model))
    data["format_version"] = 99
    with pytest.raises(ArtifactError, match="format_version"):
        from_json(json.dumps(data))


def test_pickle_free_plain_json(fitted: tuple[Scorecard, pd.DataFrame]) -> None:
    model, _ = fitted
    text = to_json(model)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-finite {c} in artifact"))
    assert "pickle" not in text.lower()
