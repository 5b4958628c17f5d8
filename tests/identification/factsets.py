"""Fact sets for identification tests: a clean application on which no default rule fires."""

from __future__ import annotations

from typing import Any


def clean_facts() -> dict[str, Any]:
    """An application that passes every default rule."""
    return {
        "age": 40, "age_at_maturity": 60, "segment": "salaried_public",
        "household_income": 120000, "monthly_income": 8000, "dependants": 1,
        "bureau_overdue_accounts": 0, "bureau_max_dpd_24m": 0, "bureau_hard_inquiries_3m": 1,
        "bureau_npl_elsewhere": False, "other_monthly_debt": 500, "income_verified": True,
        "court_enforcement": False, "dishonest_debtor": False, "spending_restricted": False,
        "lawsuits_pending": 0, "abnormal_operation": False, "related_staff": [],
        "officer_related": False, "resident_id_valid": True, "has_other_housing": True,
        "name_only_match": False,
        "application_date": "2026-03-01", "amount": 400000, "term_months": 240,
        "repayment_method": "equal_installment", "purpose": "购房", "annual_rate": 0.036,
        "monthly_installment": 2340, "dti": 0.29, "total_dti": 0.36, "down_payment_ratio": 0.3,
        "purchase_price": 600000, "first_home": True,
        "property_type": "urban_housing", "land_nature": "state_granted",
        "structure": "reinforced_concrete", "build_year": 2015, "property_age": 11,
        "remaining_economic_life": 49, "floor_area": 100, "seized": False,
        "existing_mortgage": False, "disputed": False, "small_property_rights": False,
        "illegal_building": False, "dangerous_building": False, "public_welfare": False,
        "co_owner_consent": True, "collective_consent": None,
        "registration_status": "not_registered", "land_term_remaining": 60,
        "months_since_purchase": None, "same_property_other_applications": 0,
        "buyer_seller_related": False, "appraised_value": 600000, "appraisal_age_days": 30,
        "comparable_value": 580000, "market_value": 600000, "mortgage_value": 600000,
        "ltv": 0.667, "cltv": 0.667, "ltv_cap": 0.7, "lgd": 0.2, "eligible_collateral": True,
        "visit_done": True, "documents_complete": True, "id_document_verified": True,
        "bureau_authorised": True, "face_to_face_signed": True, "application_channel": "branch",
        "income_documents_inconsistent": False, "shared_contact_applications": 0,
        "pd": 0.01, "grade": "B1", "score": 620,
    }
