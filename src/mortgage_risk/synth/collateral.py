"""Collateral: the pledged property of each applicant (area, structure, land rights, appraised
value) and the ineligible collateral that slips into the book."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mortgage_risk.synth.months import month_index
from mortgage_risk.synth.params import SynthParams

_RURAL_STRUCTURES = [
    "brick_concrete",
    "reinforced_concrete",
    "brick_wood_1",
    "brick_wood_2",
    "brick_wood_3",
    "earth_timber",
    "simple",
]
_RURAL_STRUCTURE_WEIGHTS = [0.55, 0.12, 0.10, 0.10, 0.05, 0.05, 0.03]
_FACTORY_STRUCTURES = ["steel", "reinforced_concrete", "simple", "brick_concrete"]
_FACTORY_STRUCTURE_WEIGHTS = [0.5, 0.2, 0.15, 0.15]
_LAND_RIGHTS = ("state_land_use_right", "land_management_right")


def weighted_choice(
    rng: np.random.Generator, values: list[Any], weights: list[float] | np.ndarray, n: int
) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(np.asarray(values, dtype=object), size=n, p=w / w.sum())


@dataclass
class _Properties:
    """Collateral columns being filled in, property type by property type."""

    floor: np.ndarray
    land: np.ndarray
    value: np.ndarray
    storeys: np.ndarray
    bage: np.ndarray  # building age in years at origination
    structure: np.ndarray
    land_nature: np.ndarray
    land_term: np.ndarray

    @classmethod
    def empty(cls, n: int) -> _Properties:
        return cls(
            floor=np.zeros(n),
            land=np.zeros(n),
            value=np.zeros(n),
            storeys=np.full(n, -1, dtype=np.int64),
            bage=np.zeros(n, dtype=np.int64),
            structure=np.full(n, None, dtype=object),
            land_nature=np.full(n, "state_granted", dtype=object),
            land_term=np.full(n, np.nan),
        )


@dataclass(frozen=True)
class _Group:
    """The properties ``m`` of type ``t`` (its parameters ``cfg``); ``factor`` is each one's
    house-price move since the reference month."""

    t: str
    cfg: dict[str, Any]
    m: np.ndarray
    factor: np.ndarray


# A filler draws the columns of one group of properties.
_Filler = Callable[[np.random.Generator, _Group, _Properties], None]


def _land_management_right(rng: np.random.Generator, g: _Group, c: _Properties) -> None:
    m, k = g.m, len(g.m)
    mu = rng.uniform(*g.cfg["land_mu"], size=k)
    years = rng.uniform(*g.cfg["years"], size=k)
    c.land[m] = mu * 666.67
    c.value[m] = mu * rng.uniform(*g.cfg["rent_per_mu_year"], size=k) * years * 0.8
    c.land_nature[m] = "collective_construction"
    c.land_term[m] = np.round(years, 1)


def _state_land_use_right(rng: np.random.Generator, g: _Group, c: _Properties) -> None:
    m, k = g.m, len(g.m)
    c.land[m] = rng.uniform(*g.cfg["land_area"], size=k)
    c.value[m] = c.land[m] * rng.uniform(*g.cfg["price_per_m2"], size=k) * g.factor
    c.land_term[m] = np.round(rng.uniform(15, 48, size=k), 1)


def _building(rng: np.random.Generator, g: _Group, c: _Properties) -> None:
    """Floor area and value by the price per m²; then the type's own details."""
    m, k = g.m, len(g.m)
    c.floor[m] = rng.uniform(*g.cfg["floor_area"], size=k)
    price = rng.uniform(*g.cfg["price_per_m2"], size=k)
    c.value[m] = c.floor[m] * price * g.factor
    details = _BUILDING_DETAILS.get(g.t)
    if details is not None:
        details(rng, g, c)


def _urban_housing(rng: np.random.Generator, g: _Group, c: _Properties) -> None:
    m, k = g.m, len(g.m)
    c.bage[m] = rng.integers(0, 21, size=k)
    c.storeys[m] = rng.choice([6, 7, 11, 18, 26, 33], size=k)
    c.structure[m] = np.where(c.bage[m] > 15, "brick_concrete", "reinforced_concrete")
    c.land[m] = c.floor[m] * rng.uniform(0.15, 0.4, size=k)
    c.land_term[m] = 70.0 - c.bage[m] - rng.integers(1, 4, size=k)


def _rural_house(rng: np.random.Generator, g: _Group, c: _Properties) -> None:
    m, k = g.m, len(g.m)
    c.bage[m] = rng.integers(0, 36, size=k)
    c.storeys[m] = rng.choice([1, 2, 3, 4], size=k, p=[0.15, 0.35, 0.35, 0.15])
    c.structure[m] = weighted_choice(rng, _RURAL_STRUCTURES, _RURAL_STRUCTURE_WEIGHTS, k)
    c.land[m] = rng.uniform(100, 250, size=k)
    state = rng.random(k) < 0.4
    c.land_nature[m] = np.where(state, "state_granted", "collective_construction")
    c.land_term[m] = np.where(state, 70.0 - np.minimum(c.bage[m], 60) - 1, np.nan)
    # older houses are worth less: a simple newness factor
    c.value[m] *= np.clip(1.0 - c.bage[m] / 60.0, 0.45, 1.0)


def _shop_or_office(rng: np.random.Generator, g: _Group, c: _Properties) -> None:
    m, k = g.m, len(g.m)
    c.bage[m] = rng.integers(0, 26, size=k)
    c.storeys[m] = rng.integers(1, 7, size=k) if g.t == "shop" else rng.integers(5, 21, size=k)
    c.structure[m] = np.where(rng.random(k) < 0.7, "reinforced_concrete", "brick_concrete")
    c.land[m] = c.floor[m] * rng.uniform(0.3, 1.0, size=k)
    c.land_term[m] = np.maximum(40.0 - c.bage[m], 5.0)


def _factory_warehouse(rng: np.random.Generator, g: _Group, c: _Properties) -> None:
    m, k = g.m, len(g.m)
    c.bage[m] = rng.integers(0, 31, size=k)
    c.storeys[m] = rng.choice([1, 2, 3], size=k, p=[0.6, 0.3, 0.1])
    c.structure[m] = weighted_choice(rng, _FACTORY_STRUCTURES, _FACTORY_STRUCTURE_WEIGHTS, k)
    c.land[m] = c.floor[m] * rng.uniform(1.2, 2.5, size=k)
    c.value[m] += c.land[m] * rng.uniform(*g.cfg["land_price_per_m2"], size=k) * g.factor
    c.land_term[m] = np.maximum(50.0 - c.bage[m], 5.0)


_BUILDING_DETAILS: dict[str, _Filler] = {
    "urban_housing": _urban_housing,
    "rural_house": _rural_house,
    "shop": _shop_or_office,
    "office": _shop_or_office,
    "factory_warehouse": _factory_warehouse,
}
_FILLERS: dict[str, _Filler] = {
    "land_management_right": _land_management_right,
    "state_land_use_right": _state_land_use_right,
}


def _reference_level(params: SynthParams, hpi: np.ndarray) -> float:
    """The index level of the reference month, even for a book that ends before it."""
    ref = month_index(params.county["hpi_reference_month"])
    if ref < len(hpi):
        return float(hpi[ref])
    from mortgage_risk.synth.market import hpi_series

    return float(hpi_series(params, ref + 1)[ref])


def draw_collateral(
    rng: np.random.Generator,
    params: SynthParams,
    ptype: np.ndarray,
    orig_m: np.ndarray,
    orig_year: np.ndarray,
    hpi: np.ndarray,
) -> dict[str, np.ndarray]:
    """The property columns of each applicant, valued at the origination month's prices."""
    c = _Properties.empty(len(ptype))
    hpi_ref = _reference_level(params, hpi)
    for t, cfg in params.property_types.items():
        m = np.flatnonzero(ptype == t)
        if len(m) == 0:
            continue
        factor = 1.0 + cfg["hpi_amplitude"] * (hpi[orig_m[m]] / hpi_ref - 1.0)
        _FILLERS.get(t, _building)(rng, _Group(t, cfg, m, factor), c)
    return {
        "floor": np.round(c.floor, 2),
        "land": np.round(c.land, 2),
        "value": np.round(c.value, -2),
        "storeys": c.storeys,
        "build_year": np.where(c.storeys > 0, np.maximum(orig_year - c.bage, 1985), -1),
        "structure": c.structure,
        "land_nature": c.land_nature,
        "land_term": np.clip(c.land_term, 0, 70),
    }


@dataclass(frozen=True)
class Ineligible:
    """Which applicants pledged ineligible collateral, and of what kind ("" if eligible)."""

    flag: np.ndarray
    kind: np.ndarray

    @property
    def homestead(self) -> np.ndarray:
        return self.kind == "homestead"

    @property
    def small_property_rights(self) -> np.ndarray:
        return self.kind == "small_property_rights"

    @property
    def seized(self) -> np.ndarray:
        return self.kind == "seized"

    @property
    def illegal_building(self) -> np.ndarray:
        return self.kind == "illegal_building"


def draw_ineligible(
    rng: np.random.Generator, params: SynthParams, ptype: np.ndarray, n: int, n_dec: int
) -> Ineligible:
    """Ineligible collateral among ``n`` loans then ``n_dec`` declined applications: some
    approved (to be caught later), the rest declined."""
    apc = params.applications
    m_all = n + n_dec
    n_inel = int(rng.binomial(m_all, apc["ineligible_share"]))
    n_inel_loan = min(int(rng.binomial(n_inel, apc["ineligible_approved_share"])), n)
    n_inel_dec = min(n_inel - n_inel_loan, n_dec)
    inel = np.zeros(m_all, dtype=bool)
    if n_inel_loan:
        inel[rng.choice(n, size=n_inel_loan, replace=False)] = True
    if n_inel_dec:
        inel[n + rng.choice(n_dec, size=n_inel_dec, replace=False)] = True
    inel_idx = np.flatnonzero(inel)
    kinds = weighted_choice(
        rng, apc["ineligible_kinds"], apc["ineligible_kind_weights"], len(inel_idx)
    )
    # a homestead or illegal building needs a building; land rights become seizures instead
    no_building = np.isin(ptype[inel_idx], list(_LAND_RIGHTS))
    kinds = np.where(no_building, "seized", kinds)
    kind = np.full(m_all, "", dtype=object)
    kind[inel_idx] = kinds
    return Ineligible(flag=inel, kind=kind)


def apply_land_rights(a: dict[str, np.ndarray], ineligible: Ineligible) -> None:
    """A homestead or small-property-rights plot carries no granted land term."""
    homestead = ineligible.homestead
    small_pr = ineligible.small_property_rights
    a["land_nature"] = np.where(homestead, "homestead", a["land_nature"])
    a["land_nature"] = np.where(small_pr, "collective_construction", a["land_nature"])
    a["land_term"] = np.where(homestead | small_pr, np.nan, a["land_term"])
