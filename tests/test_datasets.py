"""The real datasets load with their documented shapes and target rates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mortgage_risk import datasets


def test_data_dir_finds_project_data() -> None:
    assert (datasets.data_dir() / "hmeq" / "hmeq.csv").is_file()
    for name in ("hmeq", "taiwan_credit", "house_price_index"):
        assert (datasets.data_dir() / name / "SOURCE.md").is_file()


def test_hmeq_shape_and_default_rate() -> None:
    frame = datasets.load_hmeq()
    assert frame.shape == (5960, 13)
    assert frame["BAD"].mean() == pytest.approx(0.1995, abs=1e-3)


def test_loaders_return_copies() -> None:
    first = datasets.load_hmeq()
    first.loc[:, "BAD"] = 7
    assert datasets.load_hmeq()["BAD"].max() == 1


def test_taiwan_shape_columns_and_default_rate() -> None:
    frame = datasets.load_taiwan_credit()
    assert frame.shape == (30000, 25)
    for col in ("LIMIT_BAL", "PAY_0", "PAY_2", "PAY_6", "BILL_AMT1", "PAY_AMT6", "default"):
        assert col in frame.columns
    assert not any(c.startswith("X") for c in frame.columns)
    assert frame["default"].mean() == pytest.approx(0.2212, abs=1e-3)


def test_house_price_index_rows_and_filters() -> None:
    full = datasets.load_house_price_index()
    assert len(full) == 44306
    assert isinstance(full["month"].dtype, pd.PeriodDtype)
    assert not full["city"].str.contains(" ").any()
    gl = datasets.load_house_price_index(city="桂林", house_type="二手房", segment="整体")
    assert 0 < len(gl) <= 120
    assert set(gl["city"]) == {"桂林"}
    assert set(gl["house_type"]) == {"二手房"}
    assert set(gl["segment"]) == {"整体"}
    assert gl["month"].max() == pd.Period("2025-12", freq="M")
    new = datasets.load_house_price_index(house_type="新房")
    assert set(new["house_type"]) == {"新房"}
    assert 0 < len(new) < len(full)
    # a spaced upstream label is reachable by its normal name
    assert len(datasets.load_house_price_index(city="哈尔滨")) > len(
        datasets.load_house_price_index(city="哈尔滨", segment="整体")
    )


def test_missing_file_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        datasets.load_hmeq()
