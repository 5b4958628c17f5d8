"""Verify the audit chain."""

from __future__ import annotations

from mortgage_risk.storage.audit import ChainReport, verify_chain
from mortgage_risk.storage.uow import UnitOfWork


def verify(uow: UnitOfWork) -> ChainReport:
    return verify_chain(uow.session)
