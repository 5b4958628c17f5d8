"""`mortgage-risk scorecard train | evaluate | score` on real HMEQ data, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.model_selection import train_test_split
from typer.testing import CliRunner

from mortgage_risk.cli.main import app
from mortgage_risk.datasets import load_hmeq
from mortgage_risk.scoring import artifact

runner = CliRunner()


@pytest.fixture(scope="module")
def hmeq_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hmeq")
    frame = load_hmeq()
    train, test = train_test_split(frame, test_size=0.3, stratify=frame["BAD"], random_state=42)
    paths = {"train": folder / "train.csv", "test": folder / "test.csv",
             "model": folder / "model.json"}
    train.to_csv(paths["train"], index=False)
    test.to_csv(paths["test"], index=False)
    result = runner.invoke(app, ["scorecard", "train", "--data", str(paths["train"]),
                                 "--target", "BAD", "--out", str(paths["model"])])
    assert result.exit_code == 0, result.output
    return paths


def test_train_evaluate_json_meets_the_quality_bar(hmeq_files: dict[str, Path]) -> None:
    result = runner.invoke(app, ["scorecard", "evaluate", "--model", str(hmeq_files["model"]),
                                 "--data", str(hmeq_files["test"]), "--target", "BAD",
                                 "--base", str(hmeq_files["train"]), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["auc"] >= 0.91
    assert report["gini"] == pytest.approx(2 * report["auc"] - 1)
    assert 0.5 < report["ks"] < 1
    assert report["psi"] < 0.1


def test_score_streams_and_matches_the_model(hmeq_files: dict[str, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from mortgage_risk.services import scorecard_files

    monkeypatch.setattr(scorecard_files, "CHUNK_ROWS", 500)  # several chunks
    out = tmp_path / "scored.parquet"
    result = runner.invoke(app, ["scorecard", "score", "--model", str(hmeq_files["model"]),
                                 "--data", str(hmeq_files["test"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(out)
    test = pd.read_csv(hmeq_files["test"])
    model = artifact.load(hmeq_files["model"])
    assert len(scored) == len(test)
    assert (scored["score"].to_numpy() == model.score(test)).all()
    assert scored["pd"].to_numpy() == pytest.approx(model.pd(test), rel=1e-12)
    assert set(scored["grade"]) <= set(model.master_scale_.labels)


def test_two_label_target_with_bad_value(tmp_path: Path) -> None:
    frame = load_hmeq()
    frame["BAD"] = frame["BAD"].map({1: "default", 0: "performing"})
    data = tmp_path / "labels.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "m.json"
    refused = runner.invoke(app, ["scorecard", "train", "--data", str(data), "--target", "BAD",
                                  "--out", str(out)])
    assert refused.exit_code == 1 and "bad" in refused.output.lower()
    ok = runner.invoke(app, ["scorecard", "train", "--data", str(data), "--target", "BAD",
                             "--bad-value", "default", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert artifact.load(out).training_["event_rate"] == pytest.approx(0.1995, abs=1e-3)


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [(lambda f: f.assign(BAD=f.index % 3), "target must be binary"),
     (lambda f: f.assign(K=1.0), "'K' is constant"),
     (lambda f: f.assign(E=None), "'E' has only missing values"),
     (lambda f: f.iloc[0:0], "no rows")],
)
def test_bad_training_data_names_the_column(tmp_path: Path, mutate: object,
                                           needle: str) -> None:
    data = tmp_path / "bad.csv"
    mutate(load_hmeq()).to_csv(data, index=False)  # type: ignore[operator]
    out = tmp_path / "m.json"
    result = runner.invoke(app, ["scorecard", "train", "--data", str(data), "--target", "BAD",
                                 "--out", str(out)])
    assert result.exit_code == 1
    assert needle in result.output
    assert not out.exists()


def test_scoring_a_changed_file_leaves_no_output(hmeq_files: dict[str, Path],
                                                 tmp_path: Path) -> None:
    test = pd.read_csv(hmeq_files["test"])
    for name, frame, needle in (
        ("missing.csv", test.drop(columns=["DEBTINC"]), "DEBTINC"),
        ("typed.csv", test.assign(LOAN="x"), "LOAN"),
    ):
        data = tmp_path / name
        frame.to_csv(data, index=False)
        out = tmp_path / f"{name}.out.csv"
        result = runner.invoke(app, ["scorecard", "score", "--model", str(hmeq_files["model"]),
                                     "--data", str(data), "--out", str(out)])
        assert result.exit_code == 1 and needle in result.output
        assert not out.exists()
        assert not list(tmp_path.glob(f".{out.name}*"))


def test_empty_file_is_refused(hmeq_files: dict[str, Path], tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = runner.invoke(app, ["scorecard", "score", "--model", str(hmeq_files["model"]),
                                 "--data", str(empty), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "empty" in result.output


def test_shipped_models_load_and_keep_their_quality() -> None:
    from mortgage_risk.services.models import shipped_artifact

    hmeq = artifact.from_json(shipped_artifact("hmeq"))
    frame = load_hmeq()
    _, test = train_test_split(frame, test_size=0.3, stratify=frame["BAD"], random_state=42)
    from mortgage_risk.scoring.metrics import auc

    assert auc(test["BAD"].to_numpy(), hmeq.pd(test.drop(columns="BAD"))) >= 0.91
    mortgage = artifact.from_json(shipped_artifact("mortgage-default"))
    assert "ltv" in mortgage.features_ and "dti" in mortgage.features_
