"""Loaders for the real public datasets shipped in the project's ``data/`` folder.

- ``hmeq``: 5,960 home-equity loans (SAS SAMPSIO.HMEQ), target BAD.
- ``taiwan_credit``: 30,000 credit-card clients (UCI, Yeh & Lien 2009), six months of
  repayment status, target ``default``.
- ``house_price_index``: China 70-city house price index, monthly 2016-01..2025-12 (CC BY 4.0,
  "NBS 70-city Housing Price project by ZHANG HANYU"; figures published by NBS).

Each folder keeps its ``SOURCE.md`` with the attribution. The loaders cache the parsed file and
return copies, so callers may modify what they get.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

ENV_VAR = "MORTGAGE_RISK_DATA_DIR"
_MARKER = Path("hmeq") / "hmeq.csv"

HMEQ_FILE = Path("hmeq") / "hmeq.csv"
TAIWAN_FILE = Path("taiwan_credit") / "UCI_Credit_Card.csv"
HPI_FILE = Path("house_price_index") / "nbs70_price_long.csv"

TAIWAN_COLUMNS: dict[str, str] = {
    "X1": "LIMIT_BAL",
    "X2": "SEX",
    "X3": "EDUCATION",
    "X4": "MARRIAGE",
    "X5": "AGE",
    "X6": "PAY_0",
    "X7": "PAY_2",
    "X8": "PAY_3",
    "X9": "PAY_4",
    "X10": "PAY_5",
    "X11": "PAY_6",
    **{f"X{12 + i}": f"BILL_AMT{i + 1}" for i in range(6)},
    **{f"X{18 + i}": f"PAY_AMT{i + 1}" for i in range(6)},
    "Y": "default",
}


def data_dir() -> Path:
    """The project's ``data/`` folder.

    ``MORTGAGE_RISK_DATA_DIR`` overrides; otherwise the first folder named ``data`` holding
    ``hmeq/hmeq.csv`` found walking up from this file.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "data"
        if (candidate / _MARKER).is_file():
            return candidate
    raise FileNotFoundError(
        f"no data/ folder with {_MARKER} found above {here}; set {ENV_VAR} to the data folder"
    )


def _path(relative: Path) -> Path:
    path = data_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(f"dataset file not found: {path}")
    return path


@lru_cache(maxsize=4)
def _read_hmeq(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


@lru_cache(maxsize=4)
def _read_taiwan(path: Path) -> pd.DataFrame:
    return pd.read_csv(path).rename(columns=TAIWAN_COLUMNS)


@lru_cache(maxsize=4)
def _read_hpi(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"month": str, "city": str, "house_type": str, "segment": str})
    # Some upstream city labels carry spaces between characters ("哈 尔 滨"); normalise them so
    # a city is one label. No (month, city, type, segment) key is duplicated by this.
    frame["city"] = frame["city"].str.replace(" ", "", regex=False)
    frame["month"] = pd.to_datetime(frame["month"], format="%Y-%m").dt.to_period("M")
    return frame


def load_hmeq() -> pd.DataFrame:
    """HMEQ home-equity loans: 5,960 rows x 13 columns, ``BAD`` = 1 for default."""
    return _read_hmeq(_path(HMEQ_FILE)).copy()


def load_taiwan_credit() -> pd.DataFrame:
    """Taiwan credit-card clients: 30,000 rows x 25 columns, ``default`` = 1 for default.

    Columns X1..X23, Y are renamed to LIMIT_BAL, SEX, EDUCATION, MARRIAGE, AGE, PAY_0,
    PAY_2..PAY_6, BILL_AMT1..6, PAY_AMT1..6 and ``default``; ``ID`` is kept.
    """
    return _read_taiwan(_path(TAIWAN_FILE)).copy()


def load_house_price_index(
    city: str | None = None,
    house_type: str | None = None,
    segment: str | None = None,
) -> pd.DataFrame:
    """The 70-city house price index in long form: month (Period[M]), city, house_type, segment,
    value. Filters: ``city`` (e.g. "桂林"), ``house_type`` ("新房" / "二手房"), ``segment``
    ("整体" / "90m2及以下" / "144m2以上").
    """
    frame = _read_hpi(_path(HPI_FILE))
    mask = pd.Series(True, index=frame.index)
    if city is not None:
        mask &= frame["city"] == city.replace(" ", "")
    if house_type is not None:
        mask &= frame["house_type"] == house_type
    if segment is not None:
        mask &= frame["segment"] == segment
    return frame.loc[mask].reset_index(drop=True).copy()
