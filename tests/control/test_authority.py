"""Authority matrix routing, overrides (reasons + next level), maker-checker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mortgage_risk.control import (
    AuthorityLevel,
    Flag,
    Recommendation,
    check_maker_checker,
    check_override,
    is_override,
    route,
    route_explained,
)
from mortgage_risk.domain import DomainError
from tests.control._support import POLICY, base_decision, flag, policy_with

OFFICER = AuthorityLevel.BRANCH_OFFICER
HEAD = AuthorityLevel.BRANCH_HEAD
COMMITTEE = AuthorityLevel.CREDIT_COMMITTEE
A = Recommendation.APPROVE
AWC = Recommendation.APPROVE_WITH_CONDITIONS
REFER = Recommendation.REFER
DECLINE = Recommendation.DECLINE


# (recommendation, total exposure, grade, flags, level) under credit-policy-2026.1:
# officer ≤ 300,000 and ≤ B2; head ≤ 1,000,000 and ≤ C1; committee above.
ROUTING_TABLE = [
    (A, 300_000, "B2", (), OFFICER),
    (A, 300_001, "B2", (), HEAD),
    (A, 200_000, "B3", (), HEAD),
    (A, 1_000_000, "C1", (), HEAD),
    (A, 1_000_001, "A1", (), COMMITTEE),
    (A, 100_000, "C2", (), COMMITTEE),
    (AWC, 100_000, "A1", (), HEAD),
    (REFER, 100_000, "A1", (), COMMITTEE),
    (DECLINE, 100_000, "A1", (), OFFICER),
    (A, 100_000, "A1", (flag("info"),), OFFICER),
    (A, 100_000, "A1", (flag("warn"),), HEAD),
    (A, 100_000, "A1", (flag("refer"),), COMMITTEE),
    (DECLINE, 100_000, "A1", (flag("reject"),), HEAD),
    (A, 100_000, "A1", (flag("info", "R040", "fraud_related_parties"),), COMMITTEE),
]


@pytest.mark.parametrize(("rec", "amount", "grade", "flags", "level"), ROUTING_TABLE)
def test_routing_table(rec: Recommendation, amount: int, grade: str, flags: tuple[Flag, ...],
                       level: AuthorityLevel) -> None:
    assert route(rec, Decimal(amount), grade, flags, POLICY) is level


def test_routing_explains_the_binding_rows() -> None:
    r = route_explained(A, Decimal(2_000_000), "C2", (flag("warn"),), POLICY)
    assert r.level is COMMITTEE
    assert {d.source for d in r.binding} == {"amount", "grade"}


def test_routing_by_rule_id_from_the_policy() -> None:
    pol = policy_with(authority={"by_rule_id": {"R012": "credit_committee"}})
    assert route(A, Decimal(1000), "A1", (flag("info", "R012"),), pol) is COMMITTEE
    assert route(A, Decimal(1000), "A1", (flag("info", "R013"),), pol) is OFFICER


def test_route_takes_a_decision() -> None:
    d = base_decision(amount=Decimal(700_000))
    assert route(d, Decimal(700_000), d.grade, (), POLICY) is HEAD is d.authority_level


def test_unknown_grade_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        route(A, Decimal(1), "Z9", (), POLICY)
    assert err.value.field == "grade"


# ---- overrides

@pytest.mark.parametrize(("rec", "final", "override"), [
    (A, A, False), (A, AWC, False), (A, DECLINE, True),
    (AWC, AWC, False), (AWC, A, True), (AWC, DECLINE, True),
    (DECLINE, DECLINE, False), (DECLINE, A, True), (DECLINE, AWC, True),
    (REFER, A, False), (REFER, DECLINE, False),
])
def test_what_counts_as_an_override(rec: Recommendation, final: Recommendation,
                                    override: bool) -> None:
    assert is_override(rec, final) is override


def test_override_needs_written_reasons_and_the_next_level() -> None:
    # Declined by the engine, routed to the branch officer; the head approves with reasons.
    ok = check_override(DECLINE, A, "借款人已结清他行不良，提供结清证明", OFFICER,
                        decided_by=HEAD, policy=POLICY)
    assert ok.is_override and ok.required_level is HEAD and ok.allowed
    ok.raise_if_refused()

    no_reasons = check_override(DECLINE, A, "   ", OFFICER, decided_by=HEAD)
    assert [p.code for p in no_reasons.problems] == ["override_reasons_missing"]
    assert "书面说明理由" in no_reasons.problems[0].zh

    same_level = check_override(DECLINE, A, "good customer", OFFICER, decided_by=OFFICER)
    assert [p.code for p in same_level.problems] == ["authority_insufficient"]
    with pytest.raises(DomainError) as err:
        same_level.raise_if_refused()
    assert err.value.field == "override" and "branch head" in err.value.reason


def test_override_of_a_head_case_needs_the_committee_and_committee_stays_on_top() -> None:
    assert check_override(AWC, A, "x", HEAD).required_level is COMMITTEE
    top = check_override(A, DECLINE, "fraud suspected", COMMITTEE, decided_by=COMMITTEE)
    assert top.required_level is COMMITTEE and top.allowed


def test_following_the_recommendation_needs_only_the_routed_level() -> None:
    c = check_override(AWC, AWC, None, HEAD, decided_by=HEAD)
    assert not c.is_override and c.allowed and c.required_level is HEAD
    below = check_override(AWC, AWC, None, HEAD, decided_by=OFFICER)
    assert [p.code for p in below.problems] == ["authority_insufficient"]


def test_override_steps_from_the_policy() -> None:
    pol = policy_with(authority={"override_steps": 2})
    assert check_override(DECLINE, A, "r", OFFICER, policy=pol).required_level is COMMITTEE


def test_override_refuses_unknown_decisions() -> None:
    with pytest.raises(DomainError) as err:
        check_override("approved!", A, "r", OFFICER)
    assert err.value.field == "recommendation"


# ---- maker-checker

def test_maker_cannot_review_or_approve_own_application() -> None:
    with pytest.raises(DomainError) as err:
        check_maker_checker("zhang.wei", "zhang.wei")
    assert err.value.field == "reviewer" and "maker-checker" in err.value.reason
    assert "经办人不得复核或审批本人录入的申请" in err.value.reason
    with pytest.raises(DomainError) as err:
        check_maker_checker("zhang.wei", " ZHANG.WEI ", role="approver")
    assert err.value.field == "approver"
    check_maker_checker("zhang.wei", "li.na")
    check_maker_checker(17, 18)


def test_maker_checker_needs_both_users() -> None:
    with pytest.raises(DomainError) as err:
        check_maker_checker("", "li.na")
    assert err.value.field == "maker"
    with pytest.raises(DomainError) as err:
        check_maker_checker("zhang.wei", None)  # type: ignore[arg-type]
    assert err.value.field == "reviewer"
