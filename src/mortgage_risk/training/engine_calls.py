"""A case's engine input through the production engine it is graded by.

One function per exercise type; the case builders use them to describe a case and the
exercises to grade it, so both read the engines the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from mortgage_risk.domain import DomainError
from mortgage_risk.identification import RuleSet, Screening, screen
from mortgage_risk.monitoring.classification import ClassificationResult, classify_one
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.monitoring.warnings import aggregate_warnings
from mortgage_risk.valuation import ValuationParams, ValuationResult
from mortgage_risk.valuation.request import ValuationRequest


def screen_case(engine_input: Mapping[str, Any], rules: RuleSet) -> Screening:
    """The identification engine on the application's facts."""
    return screen(engine_input["facts"], rules)


def value_case(engine_input: Mapping[str, Any], params: ValuationParams) -> ValuationResult:
    """The valuation engine on the JSON valuation request."""
    return ValuationRequest.from_dict(engine_input["request"]).run(params)


def classify_case(engine_input: Mapping[str, Any], policy: MonitoringPolicy
                  ) -> dict[str, ClassificationResult]:
    """``classify_one`` on each loan, with the case's repayments, events and previous classes."""
    as_of = date.fromisoformat(str(engine_input["as_of"]))
    events = pd.DataFrame(engine_input["events"]) if engine_input["events"] else None
    repayments = pd.DataFrame(engine_input["repayments"])
    previous = engine_input.get("previous", {})
    out: dict[str, ClassificationResult] = {}
    for loan in engine_input["loans"]:
        ref = str(loan["loan_id"])
        out[ref] = classify_one(loan, as_of=as_of, policy=policy, events=events,
                                previous_category=previous.get(ref),
                                repayments=repayments if len(repayments) else None)
    return out


def warning_of_case(engine_input: Mapping[str, Any]) -> dict[str, Any]:
    """The borrower's warning aggregated from the case's signals by the monitoring rules."""
    signals = pd.DataFrame(engine_input["signals"])
    if signals.empty:
        raise DomainError("engine_input.signals", "a warning needs at least one signal")
    opened = date.fromisoformat(str(engine_input["opened_on"]))
    frame = aggregate_warnings(signals, opened)
    row = {str(k): v for k, v in frame.iloc[0].to_dict().items()}
    return row
