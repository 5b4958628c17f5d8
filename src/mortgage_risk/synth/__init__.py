"""Synthetic county portfolio generator (pure: numpy and pandas, no database)."""

from mortgage_risk.synth.book import (
    TABLE_ORDER,
    SyntheticBook,
    generate,
    generate_chunks,
    npl_path,
)
from mortgage_risk.synth.market import hpi_series
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.synth.parquet import generate_to_parquet, write_parquet

__all__ = [
    "TABLE_ORDER",
    "SynthParams",
    "SyntheticBook",
    "generate",
    "generate_chunks",
    "generate_to_parquet",
    "hpi_series",
    "npl_path",
    "write_parquet",
]
