"""The origination workflow as an explicit state machine.

draft → submitted → investigated (on-site visit) → assessed (engines) → reviewed (checker)
→ approved | declined → contract signed → mortgage registered (certificate) → disbursed.
A reviewer may return an assessed case to draft; the maker may withdraw before review.
Money never leaves before the mortgage is registered: ``disburse`` is only allowed from
``mortgage_registered``.
"""

from __future__ import annotations

from enum import StrEnum

from mortgage_risk.domain.enums import ApplicationStatus as S
from mortgage_risk.domain.errors import DomainError


class Step(StrEnum):
    SUBMIT = "submit"
    RECORD_VISIT = "record_visit"
    ASSESS = "assess"
    REVIEW = "review"
    RETURN = "return"
    APPROVE = "approve"
    DECLINE = "decline"
    SIGN_CONTRACT = "sign_contract"
    REGISTER_MORTGAGE = "register_mortgage"
    DISBURSE = "disburse"
    WITHDRAW = "withdraw"


#: step → (states it may start from, state it leads to)
TRANSITIONS: dict[Step, tuple[frozenset[S], S]] = {
    Step.SUBMIT: (frozenset({S.DRAFT}), S.SUBMITTED),
    Step.RECORD_VISIT: (frozenset({S.SUBMITTED}), S.INVESTIGATED),
    Step.ASSESS: (frozenset({S.INVESTIGATED}), S.ASSESSED),
    Step.REVIEW: (frozenset({S.ASSESSED}), S.REVIEWED),
    Step.RETURN: (frozenset({S.ASSESSED, S.REVIEWED}), S.DRAFT),
    Step.APPROVE: (frozenset({S.REVIEWED}), S.APPROVED),
    Step.DECLINE: (frozenset({S.REVIEWED}), S.DECLINED),
    Step.SIGN_CONTRACT: (frozenset({S.APPROVED}), S.CONTRACT_SIGNED),
    Step.REGISTER_MORTGAGE: (frozenset({S.CONTRACT_SIGNED}), S.MORTGAGE_REGISTERED),
    Step.DISBURSE: (frozenset({S.MORTGAGE_REGISTERED}), S.DISBURSED),
    Step.WITHDRAW: (frozenset({S.DRAFT, S.SUBMITTED, S.INVESTIGATED}), S.WITHDRAWN),
}

TERMINAL = frozenset({S.DECLINED, S.DISBURSED, S.WITHDRAWN})


def next_status(current: S, step: Step) -> S:
    """The state ``step`` leads to from ``current``; an out-of-order step names the state."""
    allowed, target = TRANSITIONS[step]
    if current not in allowed:
        if step is Step.DISBURSE:
            raise DomainError("status", f"cannot disburse: the application is {current.value} "
                              f"({current.label_zh}); the mortgage must be registered first")
        need = " or ".join(sorted(s.value for s in allowed))
        raise DomainError("status", f"cannot {step.value}: the application is "
                          f"{current.value} ({current.label_zh}), it must be {need}")
    return target


def steps_from(current: S) -> list[Step]:
    """The steps open from ``current``, in workflow order."""
    return [step for step, (allowed, _) in TRANSITIONS.items() if current in allowed]
