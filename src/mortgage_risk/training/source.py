"""The synthetic book as plain records for the case builders, with seeded draws."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from mortgage_risk.synth import SyntheticBook
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.training.anonymise import Anonymiser
from mortgage_risk.training.config import TrainingConfig
from mortgage_risk.training.engines import Engines

Record = dict[str, Any]


def _plain(value: Any) -> Any:
    """A frame cell as a Python value: dates as ``date``, missing as None."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def records(frame: pd.DataFrame) -> list[Record]:
    """The rows of ``frame`` as dicts of plain Python values, in frame order."""
    return [{str(k): _plain(v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def by_id(frame: pd.DataFrame, key: str = "id") -> dict[int, Record]:
    return {int(r[key]): r for r in records(frame)}


@dataclass
class Source:
    """What every case builder reads: the book's rows by id, the anonymiser, the draws."""

    book: SyntheticBook
    seed: int
    as_of: date
    config: TrainingConfig
    engines: Engines
    anonymiser: Anonymiser
    county: str
    borrowers: Mapping[int, Record]
    properties: Mapping[int, Record]
    applications: Mapping[int, Record]
    loans: Mapping[int, Record]
    branch_kind: Mapping[int, str]
    events: list[Record]
    _history: dict[int, list[Record]] = field(default_factory=dict)
    _positions: Mapping[int, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, book: SyntheticBook, seed: int, as_of: date, config: TrainingConfig,
           engines: Engines) -> Source:
        county = str(SynthParams.load().county.get("name_zh", ""))
        anonymiser = Anonymiser(config.cases.placeholder_prefix,
                                config.cases.synthetic_region_code, county)
        groups = book.repayments.groupby("loan_id").indices
        positions = {int(str(k)): v for k, v in groups.items()}
        return cls(book, seed, as_of, config, engines, anonymiser, county,
                   by_id(book.borrowers), by_id(book.properties), by_id(book.applications),
                   by_id(book.loans),
                   {int(r["id"]): str(r["kind"]) for r in records(book.branches)},
                   records(book.external_events), {}, positions)

    def repayments(self, loan_id: int) -> list[Record]:
        """The loan's repayment rows in period order."""
        if loan_id not in self._history:
            pos = self._positions.get(loan_id)
            rows = [] if pos is None else records(self.book.repayments.iloc[pos])
            self._history[loan_id] = sorted(rows, key=lambda r: int(r["period_no"]))
        return self._history[loan_id]

    def rng(self, stream: str) -> np.random.Generator:
        """A generator for one builder, seeded from the library seed and the stream name."""
        return np.random.Generator(np.random.PCG64(
            np.random.SeedSequence([self.seed, zlib.crc32(stream.encode("utf-8"))])))

    def scrub(self, text: str) -> str:
        """``text`` without any real name of the book (placeholders where one is assigned)."""
        for i, b in self.borrowers.items():
            name = str(b.get("name") or "")
            if name and name in text:
                text = text.replace(name, self.anonymiser.placeholder_of(i) or "某某")
        return text

    def borrower_events(self, borrower_id: int, until: date) -> list[Record]:
        """The external records matched to the borrower on or before ``until``."""
        return [e for e in self.events if e.get("borrower_id") == borrower_id
                and e["event_date"] is not None and e["event_date"] <= until]
