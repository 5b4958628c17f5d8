"""A book property as a JSON valuation request (the format of ``valuation.request``).

The subject follows the system's stored-property valuation: the file's fields, the
benchmark land grade from where the property lies, comparables from the book's recent
appraisals of the same type (same township first), the proxy city's price index.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from mortgage_risk.datasets import load_house_price_index
from mortgage_risk.domain import PropertyType
from mortgage_risk.training.source import Record, Source
from mortgage_risk.valuation.index import PriceIndex

INDEX_START = date(2010, 1, 1)


@lru_cache(maxsize=4)
def price_index(city: str, house_type: str, segment: str, through: date) -> PriceIndex:
    """The proxy city's series, gaps filled, carried back and forward as the system does."""
    return PriceIndex.from_frame(load_house_price_index(), city, house_type, segment,
                                 extend_to=through, extend_back_to=INDEX_START)


def index_for(src: Source, through: date) -> PriceIndex:
    pi = src.config.cases.price_index
    return price_index(pi["city"], pi["house_type"], pi["segment"],
                       date(max(through, src.as_of).year, max(through, src.as_of).month, 1))


def has_building(prop: Record) -> bool:
    return (PropertyType(str(prop["property_type"])).has_building
            and prop.get("structure") is not None and prop.get("build_year") is not None)


def subject_of(src: Source, prop: Record, branch_kind: str) -> dict[str, Any]:
    """The valuation subject of a book property (no owner, address or certificate)."""
    subject: dict[str, Any] = {
        "property_type": prop["property_type"], "land_nature": prop["land_nature"],
        "floor_area": str(prop["floor_area"]), "land_area": str(prop["land_area"]),
        "structure": prop.get("structure"), "storeys": prop.get("storeys"),
        "build_year": prop.get("build_year"),
        "land_term_remaining": prop.get("land_term_remaining_years"),
        "township": prop["township"], "seized": prop["seized"],
        "small_property_rights": prop["small_property_rights"],
        "illegal_building": prop["illegal_building"],
        "land_grade": src.config.cases.land_grade_by_branch_kind.get(branch_kind, "3"),
    }
    return {k: v for k, v in subject.items() if v is not None}


def comparables_for(src: Source, prop: Record, on: date) -> list[dict[str, Any]]:
    """Recent appraisals of the same type before ``on`` (same township first), indexed."""
    if not prop["floor_area"] or prop["floor_area"] <= 0:
        return []
    rules = src.config.cases.comparables
    since = on - timedelta(days=rules.get("window_days", 730))
    pool = [p for p in src.properties.values()
            if p["id"] != prop["id"] and p["property_type"] == prop["property_type"]
            and p["floor_area"] and p["floor_area"] > 0 and p["appraisal_date"] is not None
            and since <= p["appraisal_date"] <= on]
    same = [p for p in pool if p["township"] == prop["township"]]
    if len(same) >= rules.get("same_township_minimum", 3):
        pool = same
    pool.sort(key=lambda p: (p["appraisal_date"], p["id"]), reverse=True)
    index = index_for(src, on)
    out = []
    for k, p in enumerate(pool[: rules.get("limit", 8)], start=1):
        area = Decimal(str(p["floor_area"]))
        unit = (Decimal(str(p["appraised_value"])) / area).quantize(Decimal("0.01"))
        out.append({"id": f"C{k}", "unit_price": str(unit),
                    "transaction_date": p["appraisal_date"].isoformat(),
                    "price_index_at_transaction": index.level(p["appraisal_date"]),
                    "area": str(area), "property_type": p["property_type"]})
    return out
