"""The origination state machine: the happy path, every out-of-order step refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mortgage_risk.domain import DomainError
from mortgage_risk.domain.enums import ApplicationStatus as S
from mortgage_risk.domain.origination import TERMINAL, TRANSITIONS, Step, next_status, steps_from

HAPPY = [Step.SUBMIT, Step.RECORD_VISIT, Step.ASSESS, Step.REVIEW, Step.APPROVE,
         Step.SIGN_CONTRACT, Step.REGISTER_MORTGAGE, Step.DISBURSE]


def test_happy_path_ends_disbursed() -> None:
    state = S.DRAFT
    seen = [state]
    for step in HAPPY:
        state = next_status(state, step)
        seen.append(state)
    assert seen == [S.DRAFT, S.SUBMITTED, S.INVESTIGATED, S.ASSESSED, S.REVIEWED, S.APPROVED,
                    S.CONTRACT_SIGNED, S.MORTGAGE_REGISTERED, S.DISBURSED]
    assert steps_from(S.DISBURSED) == []


@pytest.mark.parametrize("state", [S.DRAFT, S.SUBMITTED, S.ASSESSED, S.REVIEWED, S.APPROVED,
                                   S.CONTRACT_SIGNED])
def test_no_disbursement_before_registration(state: S) -> None:
    with pytest.raises(DomainError) as err:
        next_status(state, Step.DISBURSE)
    assert err.value.field == "status"
    assert state.value in err.value.reason and "registered first" in err.value.reason


def test_out_of_order_names_the_current_state() -> None:
    with pytest.raises(DomainError, match="cannot approve: the application is investigated"):
        next_status(S.INVESTIGATED, Step.APPROVE)


def test_return_and_withdraw() -> None:
    assert next_status(S.ASSESSED, Step.RETURN) is S.DRAFT
    assert next_status(S.SUBMITTED, Step.WITHDRAW) is S.WITHDRAWN
    with pytest.raises(DomainError):
        next_status(S.APPROVED, Step.WITHDRAW)


@given(st.sampled_from(list(S)), st.sampled_from(list(Step)))
def test_every_pair_is_allowed_exactly_by_the_table(state: S, step: Step) -> None:
    allowed, target = TRANSITIONS[step]
    if state in allowed:
        assert next_status(state, step) is target
        assert state not in TERMINAL
    else:
        with pytest.raises(DomainError):
            next_status(state, step)
