"""Parameters of the synthetic county book: data, shipped as ``params.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PARAMS_FILE = Path(__file__).with_name("params.json")


@dataclass(frozen=True)
class SynthParams:
    """The shares, ranges and coefficients of the generator (see docs/synthetic-portfolio-model.md).

    Each field is one top-level section of ``params.json``; ``version`` names the set.
    """

    version: str
    county: dict[str, Any]
    townships: list[dict[str, Any]]
    branches: list[dict[str, Any]]
    branch_kind_weight_by_property_type: dict[str, Any]
    segments: dict[str, Any]
    segment_order: list[str]
    property_types: dict[str, Any]
    segment_given_property_type: dict[str, Any]
    loans: dict[str, Any]
    rates: dict[str, Any]
    latent_model: dict[str, Any]
    delinquency_chain: dict[str, Any]
    five_category_dpd_floors: dict[str, Any]
    bureau: dict[str, Any]
    events: dict[str, Any]
    applications: dict[str, Any]
    names: dict[str, Any]

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SynthParams:
        names = {f.name for f in fields(cls)}
        missing = names - raw.keys()
        if missing:
            raise ValueError(f"synthetic parameters miss sections: {sorted(missing)}")
        return cls(**{k: raw[k] for k in names})

    @classmethod
    def load(cls, path: str | Path | None = None) -> SynthParams:
        """Read the parameters from ``path`` (default: the shipped ``params.json``)."""
        with open(path or PARAMS_FILE, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
