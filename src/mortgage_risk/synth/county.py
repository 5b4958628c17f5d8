"""The county: branches of the union and the townships they serve, residents' names,
18-digit resident IDs and street addresses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mortgage_risk.synth.params import SynthParams

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))
_BRANCH_KINDS = ["county_town", "town", "village"]
_ROADS = ["人民路", "解放路", "新华街", "建设路", "中山路", "滨江路", "朝阳路"]
_VILLAGES = ["上村", "下村", "新村", "坪头村", "水尾村", "岭脚村", "塘边村"]

# resident-ID sequence counters: one per (day since 1900-01-01, sex)
RID_COUNTER_SIZE = 2 * 60000


def branches_frame(params: SynthParams) -> pd.DataFrame:
    rows = [
        {
            "id": i + 1,
            "code": b["code"],
            "name_zh": b["name_zh"],
            "name_en": b["name_en"],
            "kind": b["kind"],
            "township": b["township"],
        }
        for i, b in enumerate(params.branches)
    ]
    return pd.DataFrame(rows)


def choose_branches(
    rng: np.random.Generator, params: SynthParams, ptype_idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(branch index, branch kind, township) per applicant: the kind by the weights of the
    property type, then a branch of that kind uniformly."""
    br = params.branches
    kinds = np.array([b["kind"] for b in br])
    branch_idx = np.empty(len(ptype_idx), dtype=np.int64)
    for k, t in enumerate(params.property_types):
        m = np.flatnonzero(ptype_idx == k)
        kw = np.asarray(params.branch_kind_weight_by_property_type[t], dtype=float)
        w = np.array([kw[_BRANCH_KINDS.index(kd)] / (kinds == kd).sum() for kd in kinds])
        branch_idx[m] = rng.choice(len(br), size=len(m), p=w / w.sum())
    branch_kind = kinds[branch_idx].astype(object)
    township = np.array([b["township"] for b in br], dtype=object)[branch_idx]
    return branch_idx, branch_kind, township


def resident_names(rng: np.random.Generator, params: SynthParams, male: np.ndarray) -> np.ndarray:
    """Surname plus a given name of the resident's sex."""
    nm = params.names
    m = len(male)
    surname = rng.choice(np.asarray(nm["surnames"], dtype=object), size=m)
    given = np.where(
        male,
        rng.choice(np.asarray(nm["given_male"], dtype=object), size=m),
        rng.choice(np.asarray(nm["given_female"], dtype=object), size=m),
    )
    return surname + given


def resident_ids(
    region: str, birth: np.ndarray, male: np.ndarray, counter: np.ndarray
) -> np.ndarray:
    """Unique 18-digit IDs: the sequence is the running count of (birth day, sex), kept in
    ``counter`` across chunks, so odd for men and even for women."""
    day = (birth - np.datetime64("1900-01-01")).astype(np.int64)
    key = day * 2 + male.astype(np.int64)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    rank_sorted = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    rank = rank + counter[key]
    np.add.at(counter, key, 1)
    if rank.max(initial=0) >= 500:
        raise ValueError("too many borrowers share a birth date for one region code")
    seq = rank * 2 + male.astype(np.int64)  # odd for men
    ymd = pd.DatetimeIndex(birth).strftime("%Y%m%d").to_numpy(dtype=str)
    first17 = np.char.add(np.char.add(region, ymd), np.char.zfill(seq.astype(str), 3))
    digits = np.frombuffer(first17.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17)
    total = ((digits.astype(np.int64) - 48) * _WEIGHTS).sum(axis=1)
    return np.char.add(first17, _CHECK[total % 11]).astype(object)


def addresses(
    rng: np.random.Generator,
    params: SynthParams,
    branch_kind: np.ndarray,
    township: np.ndarray,
) -> np.ndarray:
    """A road in the county town, a village elsewhere, and a house number."""
    m = len(branch_kind)
    road = np.asarray(_ROADS, dtype=object)
    village = np.asarray(_VILLAGES, dtype=object)
    place = np.where(branch_kind == "county_town", rng.choice(road, m), rng.choice(village, m))
    house_no = rng.integers(1, 300, m).astype(str)
    return np.char.add(
        np.char.add((params.county["name_zh"] + township + place).astype(str), house_no), "号"
    ).astype(object)
