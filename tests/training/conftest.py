"""A small case library shared by the training tests (built once per session)."""

from __future__ import annotations

from datetime import date

import pytest

from mortgage_risk.synth import SyntheticBook, generate
from mortgage_risk.training import CaseLibrary, TrainingConfig, build_cases

SEED = 7
PER_TYPE = 4
AS_OF = date(2026, 3, 31)
BOOK_LOANS = 400


@pytest.fixture(scope="session")
def library() -> CaseLibrary:
    return build_cases(SEED, PER_TYPE)


@pytest.fixture(scope="session")
def book() -> SyntheticBook:
    """The book the library was drawn from (same seed, size and date)."""
    return generate(BOOK_LOANS, SEED, AS_OF)


@pytest.fixture(scope="session")
def config() -> TrainingConfig:
    return TrainingConfig.load_default()
