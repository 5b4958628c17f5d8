"""Sampling files for manual review: reproducible by seed, weighted towards risk."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.supervision import (
    SamplingWeights,
    default_checkset,
    random_sample,
    risk_sample,
    run_checks,
    sampling_profile,
)
from tests.supervision.files import AS_OF, OVERRIDE_OK, edited, loan, setting


def population(n: int = 40, **columns: Any) -> pd.DataFrame:
    frame = pd.DataFrame({"file_id": range(1, n + 1),
                          "officer": [f"officer{i % 4}" for i in range(n)],
                          "override": False, "exceptions": 0, "early_default": False,
                          "warnings": 1})
    for name, values in columns.items():
        for file_id, value in values.items():
            frame.loc[frame["file_id"] == file_id, name] = value
    return frame


def ids(sample: list[Any]) -> list[Any]:
    return [s.file_id for s in sample]


def test_random_sample_is_reproducible_by_seed() -> None:
    files = list(range(1000, 1100))
    first = random_sample(files, 10, seed=2026)
    assert ids(first) == ids(random_sample(files, 10, seed=2026))
    assert ids(first) == ids(random_sample(list(reversed(files)), 10, seed=2026))
    assert set(ids(first)) != set(ids(random_sample(files, 10, seed=2027)))
    assert len(set(ids(first))) == 10 and set(ids(first)) <= set(files)
    assert all(s.reasons == ("random",) for s in first)


def test_sample_size_is_capped_by_the_population() -> None:
    assert len(random_sample([1, 2, 3], 10, seed=1)) == 3
    assert random_sample([], 5, seed=1) == []
    assert len(risk_sample(population(5), 10, seed=1)) == 5
    assert random_sample([1, 2, 3], 0, seed=1) == []


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_bad_size_is_refused(n: Any) -> None:
    with pytest.raises(DomainError) as err:
        random_sample([1, 2, 3], n, seed=1)
    assert err.value.field == "n"


def test_duplicate_files_are_refused() -> None:
    with pytest.raises(DomainError) as err:
        random_sample([1, 2, 2], 1, seed=1)
    assert err.value.field == "file_ids"


def test_risk_sample_is_reproducible_and_gives_reasons() -> None:
    frame = population(override={3: True}, exceptions={5: 2}, early_default={7: True})
    first = risk_sample(frame, 8, seed=11)
    assert [(s.file_id, s.reasons) for s in first] == \
        [(s.file_id, s.reasons) for s in risk_sample(frame.iloc[::-1], 8, seed=11)]
    assert ids(first) != ids(risk_sample(frame, 8, seed=12))
    reasons = {s.file_id: s.reasons for s in risk_sample(frame, 40, seed=1)}
    assert reasons[3] == ("override",)
    assert reasons[5] == ("exception",)
    assert reasons[7] == ("early_default",)
    assert reasons[1] == ("random",)


def test_a_file_with_an_override_is_picked_far_more_often() -> None:
    frame = population(override={17: True})
    picked = {17: 0, 18: 0}
    for seed in range(600):
        chosen = set(ids(risk_sample(frame, 1, seed=seed)))
        for file_id in picked:
            picked[file_id] += file_id in chosen
    # weights 6 against 1 among 39 clean files: about 600 * 6/45 = 80 against 13
    assert picked[17] > 4 * max(picked[18], 1)
    assert picked[17] > 50


def test_officers_with_high_warning_rates_weigh_more() -> None:
    frame = population(8)
    frame["warnings"] = [5, 0, 0, 0, 5, 0, 0, 0]  # officer0 has all the warnings
    weights = SamplingWeights(base=1, high_warning_officer=4)
    reasons = {s.file_id: s.reasons for s in risk_sample(frame, 8, seed=3, weights=weights)}
    assert reasons[1] == reasons[5] == ("high_warning_officer",)
    assert reasons[2] == ("random",)


def test_weights_are_data() -> None:
    assert default_checkset().sampling == SamplingWeights()
    with pytest.raises(DomainError) as err:
        SamplingWeights.from_dict({"base": 0})
    assert err.value.field == "sampling.base"
    with pytest.raises(DomainError) as err:
        SamplingWeights.from_dict({"override": -2})
    assert err.value.field == "sampling.override"
    with pytest.raises(DomainError) as err:
        SamplingWeights.from_dict({"overide": 2})
    assert err.value.field == "sampling.overide"


def test_missing_columns_are_named() -> None:
    with pytest.raises(DomainError) as err:
        risk_sample(pd.DataFrame({"file_id": [1]}), 1, seed=1)
    assert err.value.field == "files.officer"


def test_profile_from_loan_files() -> None:
    files = [edited(file_id=1), edited(OVERRIDE_OK, file_id=2),
             edited(setting("visits", []), file_id=3),
             edited(loan(days_past_due=120, five_category="substandard",
                         first_missed_due_on="2026-03-02"), file_id=4)]
    drafts = run_checks(files, as_of=AS_OF)
    profile = sampling_profile(files, drafts, as_of=AS_OF, flags={1: 2})
    assert list(profile["file_id"]) == [1, 2, 3, 4]
    assert list(profile["override"]) == [False, True, False, False]
    assert list(profile["exceptions"]) == [2, 0, 1, 0]
    assert list(profile["early_default"]) == [False, False, False, True]
    reasons = {s.file_id: s.reasons for s in risk_sample(profile, 4, seed=5)}
    assert reasons == {1: ("exception",), 2: ("override",), 3: ("exception",),
                       4: ("early_default",)}
