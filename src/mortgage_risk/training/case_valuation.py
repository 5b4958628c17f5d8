"""Valuation cases: a book property as a JSON valuation request by the cost approach.

The trainee gives the newness rate, the land value and the mortgage value; the request is the
one ``valuation.request`` reads. Some cases add what the surveyor and the file would add:
observed condition scores, land factor levels, a statutory priority claim, and (for
non-residential land) a grant contract that takes the building back without compensation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from mortgage_risk.domain import DomainError, LandNature, PropertyType, Structure
from mortgage_risk.training.case import Case
from mortgage_risk.training.property_docs import has_building, subject_of
from mortgage_risk.training.source import Record, Source
from mortgage_risk.valuation import ValuationResult
from mortgage_risk.valuation.request import ValuationRequest


def _observed(rng: np.random.Generator, age: int) -> dict[str, float]:
    """Group scores out of 100 that fall with age, with the surveyor's spread."""
    base = max(30.0, 100.0 - 1.2 * age)
    return {group: float(np.clip(round(base + rng.normal(0, 6) + shift), 10, 100))
            for group, shift in (("structure", 3.0), ("finish", -4.0), ("services", -2.0))}


def _factor_levels(src: Source, subject: dict[str, Any], rng: np.random.Generator
                   ) -> dict[str, str]:
    """One or two land factors of the benchmark table at a drawn level."""
    params = src.engines.valuation
    use = params.land.default_use_by_property_type.get(str(subject["property_type"]))
    bench = params.land.benchmark.get(use) if use is not None else None
    if bench is None or not bench.factors:
        return {}
    names = sorted(bench.factors)
    picked = sorted(int(i) for i in rng.choice(len(names), size=min(2, len(names)),
                                               replace=False))
    levels = {}
    for i in picked:
        options = sorted(bench.factors[names[i]])
        levels[names[i]] = options[int(rng.integers(len(options)))]
    return levels


def _request(src: Source, prop: Record, rng: np.random.Generator) -> dict[str, Any]:
    app = next(a for a in src.applications.values() if a["property_id"] == prop["id"])
    kind = src.branch_kind[int(app["branch_id"])]
    draws = src.config.cases.valuation
    subject = subject_of(src, prop, kind)
    doc: dict[str, Any] = {"valuation_date": src.as_of.isoformat(), "subject": subject,
                           "approaches": ["cost"], "region_kind": kind}
    if rng.random() < float(draws.get("observed_share", 0.0)):
        doc["observed"] = _observed(rng, src.as_of.year - int(prop["build_year"]))
    if rng.random() < float(draws.get("land_factor_share", 0.0)):
        levels = _factor_levels(src, subject, rng)
        if levels:
            subject["land_factor_levels"] = levels
    commercial = PropertyType(str(prop["property_type"])).is_commercial
    if (commercial and prop["land_nature"] == LandNature.STATE_GRANTED.value
            and rng.random() < float(draws.get("reversion_share", 0.0))):
        subject["land_reverts_without_compensation"] = True
    return doc


def _add_claim(src: Source, doc: dict[str, Any], result: ValuationResult,
               rng: np.random.Generator) -> None:
    kinds = list(src.config.cases.valuation.get("claim_kinds", []))
    if not kinds or rng.random() >= float(src.config.cases.valuation.get("claims_share", 0.0)):
        return
    share = Decimal(str(round(float(rng.uniform(0.05, 0.30)), 2)))
    amount = (result.market_value * share / 100).quantize(Decimal(1), ROUND_HALF_UP) * 100
    if amount > 0:
        doc["claims"] = [{"kind": kinds[int(rng.integers(len(kinds)))], "amount": str(amount)}]


def complications(doc: dict[str, Any], result: ValuationResult) -> int:
    """How many things make the case harder than age-life newness on plain land."""
    building = result.cost.building if result.cost is not None else None
    land = result.cost.land if result.cost is not None else None
    return sum((
        "observed" in doc,
        bool(doc["subject"].get("land_factor_levels")),
        bool(doc.get("claims")),
        bool(building is not None and building.newness.truncated_by_land_term),
        bool(land is not None and land.method == "homestead_not_valued"),
    ))


def _difficulty(src: Source, count: int) -> str:
    cut = src.config.cases.difficulty.get("valuation", {})
    if count >= int(cut.get("hard", 3)):
        return "hard"
    return "medium" if count >= int(cut.get("medium", 1)) else "easy"


def _material(doc: dict[str, Any]) -> dict[str, Any]:
    subject = doc["subject"]
    labels = {"property_type": PropertyType(subject["property_type"]).label_zh,
              "land_nature": LandNature(subject["land_nature"]).label_zh}
    if subject.get("structure"):
        labels["structure"] = Structure(subject["structure"]).label_zh
    return {"valuation_date": doc["valuation_date"], "region_kind": doc["region_kind"],
            "approaches": doc["approaches"], "subject": subject,
            "observed": doc.get("observed"), "claims": doc.get("claims", []),
            "labels_zh": labels}


def valuation_cases(src: Source, n: int) -> list[Case]:
    """Up to ``n`` valuation cases from properties with a building."""
    rng = src.rng("valuation")
    pool = [p for p in src.properties.values()
            if has_building(p) and int(p["build_year"]) <= src.as_of.year]
    topic = src.config.topic_of("valuation")
    cases: list[Case] = []
    for k in rng.permutation(len(pool)):
        if len(cases) >= n:
            break
        prop = pool[int(k)]
        doc = _request(src, prop, rng)
        try:
            result = ValuationRequest.from_dict(doc).run(src.engines.valuation)
            _add_claim(src, doc, result, rng)
            result = ValuationRequest.from_dict(doc).run(src.engines.valuation)
        except DomainError:
            continue
        if result.newness is None:
            continue
        cases.append(Case(
            id=f"VAL-{src.seed}-{len(cases) + 1:03d}", type="valuation", topic=topic,
            difficulty=_difficulty(src, complications(doc, result)),
            material=_material(doc), engine_input={"request": doc}))
    return cases
