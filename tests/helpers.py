"""Small builders shared by tests."""

from __future__ import annotations

from mortgage_risk.domain.resident_id import check_character


def resident_id(region: str = "450321", birth: str = "19850612", seq: str = "001") -> str:
    """A valid 18-digit resident ID number for the given parts."""
    first17 = region + birth + seq
    return first17 + check_character(first17)


def borrower_fields(rid: str | None = None, branch_code: str = "B01") -> dict[str, object]:
    return {
        "resident_id": rid or resident_id(),
        "name": "张三",
        "segment": "farmer",
        "township": "城关镇",
        "branch_code": branch_code,
        "household_income": "72000",
        "dependants": 2,
    }


def property_fields(owner: str) -> dict[str, object]:
    return {
        "owner_resident_id": owner,
        "property_type": "urban_housing",
        "land_nature": "state_granted",
        "structure": "reinforced_concrete",
        "storeys": 6,
        "build_year": 2012,
        "floor_area": "118.5",
        "land_area": "22.3",
        "land_term_remaining_years": "56",
        "township": "城关镇",
        "address": "城关镇解放路8号2栋301",
        "appraised_value": "560000",
        "as_of": "2026-06-30",
    }
