"""Monitoring commands: classify a loans file; (more as the nightly run lands)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from mortgage_risk.domain import DomainError, FiveCategory
from mortgage_risk.monitoring.classification import classify
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.services.errors import InvalidInput
from mortgage_risk.services.scorecard_files import read_table


def classify_file(path: Path, as_of: date) -> dict[str, Any]:
    """Classify every loan in ``path`` under the shipped monitoring policy."""
    frame = read_table(path, field="loans")
    try:
        result = classify(frame, as_of=as_of, policy=MonitoringPolicy.load_default())
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=f"loans.{exc.field}") from None
    except KeyError as exc:
        raise InvalidInput(f"column {exc.args[0]!r} is missing", field="loans") from None
    counts = result["category"].value_counts()
    order = [c.value for c in FiveCategory]
    return {
        "as_of": as_of.isoformat(), "loans": len(result),
        "counts": {c: int(counts.get(c, 0)) for c in order},
        "npl": int(result["category"].isin(["substandard", "doubtful", "loss"]).sum()),
        "classification": [
            {"loan_id": int(r["loan_id"]), "category": r["category"],
             "dpd_floor_category": r["dpd_floor_category"], "reasons": list(r["reasons"]),
             "driver": r["driver"]}
            for r in result.to_dict("records")],
    }
