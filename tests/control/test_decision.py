"""The decision engine: every path, reasons in Chinese and English, the numbers it reports."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from decimal import Decimal

from mortgage_risk.control import (
    AuthorityLevel,
    BookState,
    Recommendation,
    Severity,
    collateral_from_valuation,
    decide,
)
from mortgage_risk.domain import RepaymentMethod
from mortgage_risk.valuation.layers import PriorityClaims
from mortgage_risk.valuation.valuate import valuate
from tests.control._support import (
    BOOK,
    COLLATERAL,
    INCOME,
    POLICY,
    REQUEST,
    base_decision,
    flag,
)
from tests.valuation._support import COMPARABLES, OBSERVED, PARAMS, VALUATION_DATE, house

A = Recommendation.APPROVE
AWC = Recommendation.APPROVE_WITH_CONDITIONS
REFER = Recommendation.REFER
DECLINE = Recommendation.DECLINE


def codes(d: object) -> list[str]:
    return [r.code for r in d.reasons]  # type: ignore[attr-defined]


def test_clean_case_is_approved_with_every_number() -> None:
    d = base_decision()
    assert d.recommendation is A and codes(d) == ["approve"]
    assert d.reasons[0].zh == "各项检查均通过" and d.reasons[0].en == "all checks passed"
    assert d.conditions == ()
    # Collateral 630,000 binds (affordability: 10,000 a month at 4% over 20 years ≈ 1.65 m).
    assert d.limit.binding == "collateral" and d.limit.amount == Decimal(630_000)
    assert d.approved_amount == d.proposed_amount == Decimal(300_000)
    # EL = 1% × 15% × 300,000 = 450.
    assert d.expected_loss == Decimal("450.0000")
    # Price: 0.15% + 0.20% + 0.60% + 0.40% = 1.35% over LPR 3.5% = 4.85%.
    assert d.price.rate == Decimal("0.0485") and d.price.spread_bp == 135
    assert d.ltv == Decimal(300_000) / Decimal(900_000)
    assert d.authority_level is AuthorityLevel.BRANCH_OFFICER
    assert d.policy_version == "credit-policy-2026.1" and d.ruleset_version == "rules-test.1"
    json.dumps(d.to_dict(), ensure_ascii=False)  # JSON-ready


def test_reject_flag_declines() -> None:
    d = base_decision(flags=(flag("reject", "R017"), flag("warn", "R003")))
    assert d.recommendation is DECLINE and d.approved_amount == 0
    assert codes(d)[0] == "flag_reject.R017" and "flag_warn.R003" in codes(d)
    assert "否决" in d.reasons[0].zh and "reject" in d.reasons[0].en
    assert d.worst_flag_severity is Severity.REJECT
    assert d.proposed_amount == Decimal(300_000)  # numbers still shown for the reviewer


def test_ineligible_collateral_declines_with_the_valuation_reasons() -> None:
    coll = replace(COLLATERAL, eligible=False,
                   ineligible_reasons=(("seized", "依法被查封", "seized by a court"),))
    d = base_decision(collateral=coll)
    assert d.recommendation is DECLINE and codes(d) == ["collateral_ineligible"]
    assert "依法被查封" in d.reasons[0].zh and "seized" in d.reasons[0].en


def test_pd_above_decline_cutoff_declines() -> None:
    d = base_decision(pd=0.20, grade="C2")
    assert d.recommendation is DECLINE
    assert codes(d) == ["pd_decline", "grade_refer"]
    assert "20.00%" in d.reasons[0].zh and "15.00%" in d.reasons[0].en


def test_decline_grade_declines() -> None:
    assert base_decision(pd=0.01, grade="D").recommendation is DECLINE


def test_pd_in_refer_band_refers_to_the_committee() -> None:
    d = base_decision(pd=0.07, grade="C1")
    assert d.recommendation is REFER
    assert codes(d) == ["pd_refer", "grade_conditions"]
    assert d.authority_level is AuthorityLevel.CREDIT_COMMITTEE


def test_refer_flag_refers() -> None:
    d = base_decision(flags=(flag("refer", "R030"),))
    assert d.recommendation is REFER and codes(d) == ["flag_refer.R030"]


def test_large_shortfall_refers() -> None:
    # 800,000 asked, 630,000 allowed: 21.25% short > 20% → refer, naming the binding constraint.
    d = base_decision(amount=Decimal(800_000))
    assert d.recommendation is REFER and codes(d) == ["amount_shortfall"]
    assert "抵押率上限" in d.reasons[0].zh and "mortgage rate cap" in d.reasons[0].en
    assert d.proposed_amount == Decimal(630_000)


def test_small_shortfall_approves_with_the_amount_reduced() -> None:
    d = base_decision(amount=Decimal(700_000))
    assert d.recommendation is AWC and codes(d) == ["amount_reduced"]
    assert d.approved_amount == Decimal(630_000)
    assert [c.code for c in d.conditions] == ["reduce_amount"]
    assert "630,000.00" in d.conditions[0].zh
    assert d.expected_loss == Decimal("0.01") * Decimal("0.15") * Decimal(630_000)
    assert d.authority_level is AuthorityLevel.BRANCH_HEAD  # 700,000 > 300,000


def test_affordability_shortfall_names_dti() -> None:
    d = base_decision(income=replace(INCOME, monthly_income=Decimal(3000)))
    assert d.limit.binding == "affordability"
    assert d.recommendation is REFER and "月供收入比" in d.reasons[0].zh


def test_warn_flag_gives_conditions() -> None:
    d = base_decision(flags=(flag("warn", "R005"), flag("info", "R099")))
    assert d.recommendation is AWC and codes(d) == ["flag_warn.R005"]
    assert [c.code for c in d.conditions] == ["resolve_flag.R005"]
    assert d.authority_level is AuthorityLevel.BRANCH_HEAD


def test_term_beyond_product_is_shortened_with_a_condition() -> None:
    d = base_decision(term_months=400)
    assert d.recommendation is AWC and d.term_months == 360 and d.limit.term_months == 360
    assert [c.code for c in d.conditions] == ["reduce_term"]


def test_no_concentration_headroom_declines() -> None:
    full = BookState(Decimal(1_000_000_000), Decimal(180_000_000), Decimal(130_000_000),
                     Decimal(100_000_000))
    d = base_decision(book=full)
    assert d.recommendation is DECLINE and codes(d) == ["limit_below_minimum"]
    assert d.limit.binding == "concentration" and "集中度" in d.reasons[0].zh


def test_most_severe_effect_wins_and_every_driver_is_named() -> None:
    d = base_decision(flags=(flag("warn"), flag("refer", "R002")), pd=0.07, grade="C1",
                      amount=Decimal(700_000))
    assert d.recommendation is REFER
    assert set(codes(d)) == {"flag_warn.R001", "flag_refer.R002", "pd_refer",
                             "grade_conditions", "amount_reduced"}
    assert all(r.zh and r.en for r in d.reasons)


def test_affordability_assessed_at_lpr_plus_spread_without_a_rate() -> None:
    d = base_decision(annual_rate=None, method=RepaymentMethod.EQUAL_PRINCIPAL)
    assert d.limit.annual_rate == Decimal("0.045")  # 3.5% + 1.0%


def test_decides_on_a_real_valuation_result() -> None:
    result = valuate(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED,
                     comparables=COMPARABLES, claims=PriorityClaims.of(prior_mortgage=50000),
                     region_kind="village", loan_amount=Decimal(140000))
    coll = collateral_from_valuation(result)
    assert coll.max_loan == Decimal(149160) and coll.eligible
    assert result.lgd is not None and coll.lgd == result.lgd.lgd
    d = decide(None, 0.01, "B1", result, INCOME, replace(REQUEST, amount=Decimal(140000)),
               POLICY, BOOK)
    assert d.recommendation is A and d.limit.candidate("collateral").amount == Decimal(149160)
    assert d.ruleset_version is None


def test_scalar_decide_is_fast() -> None:
    base_decision()
    n = 200
    start = time.perf_counter()
    for _ in range(n):
        base_decision(flags=(flag("warn"),), amount=Decimal(700_000))
    per_call = (time.perf_counter() - start) / n
    assert per_call < 0.005, per_call
