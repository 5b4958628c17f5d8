"""Train the two shipped scorecards and write their artifacts and model cards.

    .venv/bin/python scripts/train_default_models.py

- ``mortgage-default``: the default PD scorecard for the union's mortgage product, trained on
  the synthetic county book (20,000 loans, seed 42, as of 2026-11-28; outcome: an installment
  over 90 days past due within 24 months of origination), checked against the generator's
  latent true PD;
- ``hmeq``: the same toolkit on the real HMEQ home-equity data (70/30 stratified split,
  seed 42), the proof on real data.

Artifacts go to src/mortgage_risk/scoring/models/, model cards and validation reports to
docs/models/. Deterministic: the same code and data give the same artifacts (bar created_at).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from mortgage_risk.datasets import load_hmeq
from mortgage_risk.scoring import BinningProcess, FeatureSelector, Scorecard, artifact
from mortgage_risk.scoring.application_features import CATEGORICAL, build_features
from mortgage_risk.scoring.metrics import auc, validation_report
from mortgage_risk.scoring.report import model_card_html, validation_html
from mortgage_risk.synth import generate
from mortgage_risk.synth.development import development_sample

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "src" / "mortgage_risk" / "scoring" / "models"
DOCS = ROOT / "docs" / "models"
CREATED = datetime(2026, 11, 28, tzinfo=UTC)


def _fit(X: pd.DataFrame, y: pd.Series, categorical: list[str], target_pd: float | None
         ) -> Scorecard:
    model = Scorecard(binning_process=BinningProcess(categorical_variables=categorical),
                      selector=FeatureSelector(), target_pd=target_pd)
    return model.fit(X, y)


def _write(model: Scorecard, name: str, version: str, X_test: pd.DataFrame, y_test: pd.Series,
           X_train: pd.DataFrame, extra: dict[str, object]) -> dict[str, object]:
    text = artifact.to_json(model, model_version=version, created_at=CREATED)
    (MODELS / f"{name}.json").write_text(text, encoding="utf-8")
    report = validation_report(model, X_test, y_test.to_numpy(), X_train)
    (DOCS / f"{name}-validation.html").write_text(validation_html(
        model, X_test, y_test, X_train, title=f"{name}: validation on the test sample",
        report=report), encoding="utf-8")
    (DOCS / f"{name}-model-card.html").write_text(model_card_html(model, report),
                                                 encoding="utf-8")
    summary = {"model_version": version, "train_rows": len(X_train), "test_rows": len(X_test),
               "features": list(model.features_), "test_auc": round(report["auc"], 4),
               "test_ks": round(report["ks"], 4), "test_gini": round(report["gini"], 4),
               "psi_train_test": round(report.get("psi", float("nan")), 4), **extra}
    return summary


def train_mortgage() -> dict[str, object]:
    book = generate(20_000, 42, date(2026, 11, 28))
    rows, bad = development_sample(book)
    X = build_features(rows)
    X_train, X_test, y_train, y_test = train_test_split(
        X, bad, test_size=0.3, stratify=bad, random_state=42)
    model = _fit(X_train, y_train, list(CATEGORICAL), target_pd=float(bad.mean()))
    true_pd = book.truth.set_index("loan_id").loc[rows["loan_id"], "true_pd_12m_origination"]
    test_true = true_pd.to_numpy()[X_test.index.to_numpy()]
    return _write(model, "mortgage-default", "mortgage-default-2026.11", X_test, y_test, X_train,
                  {"outcome": "installment >90 DPD within 24 months", "bad_rate": round(
                      float(bad.mean()), 4), "latent_true_pd_test_auc": round(
                      auc(y_test.to_numpy(), test_true), 4)})


def train_hmeq() -> dict[str, object]:
    frame = load_hmeq()
    y = frame.pop("BAD")
    X_train, X_test, y_train, y_test = train_test_split(
        frame, y, test_size=0.3, stratify=y, random_state=42)
    model = _fit(X_train, y_train, ["REASON", "JOB"], target_pd=None)
    return _write(model, "hmeq", "hmeq-2026.11", X_test, y_test, X_train,
                  {"outcome": "BAD (defaulted or seriously delinquent)"})


def main() -> None:
    MODELS.mkdir(parents=True, exist_ok=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    results = {"mortgage-default": train_mortgage(), "hmeq": train_hmeq()}
    (DOCS / "summary.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
