"""Logistic-regression PD scorecards: binning, selection, scorecard, validation, export.

The public API is curated here; submodules hold the details (``scoring.metrics``,
``scoring.sql``, ``scoring.artifact``, ...).
"""

from mortgage_risk.scoring.artifact import ArtifactError, from_json, load, save, to_json
from mortgage_risk.scoring.binning import BinningProcess, OptimalBinning
from mortgage_risk.scoring.binning_table import BinningTable
from mortgage_risk.scoring.bins import FeatureBins
from mortgage_risk.scoring.calibration import Calibration, calibrate_intercept
from mortgage_risk.scoring.logistic import LogitResult, fit_logistic
from mortgage_risk.scoring.master_scale import MasterScale
from mortgage_risk.scoring.metrics import (
    auc,
    binomial_test,
    brier,
    csi,
    gini,
    hosmer_lemeshow,
    ks,
    psi,
    validation_report,
)
from mortgage_risk.scoring.report import model_card, model_card_html, validation_html
from mortgage_risk.scoring.scaling import Scaling
from mortgage_risk.scoring.scorecard import Scorecard
from mortgage_risk.scoring.selection import FeatureSelector
from mortgage_risk.scoring.sql import to_sql

__all__ = [
    "ArtifactError",
    "BinningProcess",
    "BinningTable",
    "Calibration",
    "FeatureBins",
    "FeatureSelector",
    "LogitResult",
    "MasterScale",
    "OptimalBinning",
    "Scaling",
    "Scorecard",
    "auc",
    "binomial_test",
    "brier",
    "calibrate_intercept",
    "csi",
    "fit_logistic",
    "from_json",
    "gini",
    "hosmer_lemeshow",
    "ks",
    "load",
    "model_card",
    "model_card_html",
    "psi",
    "save",
    "to_json",
    "to_sql",
    "validation_html",
    "validation_report",
]
