"""Unit of work: one transaction per command, with repositories and the audit log."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from mortgage_risk.storage.audit import AuditLog
from mortgage_risk.storage.monitoring import (
    ClassificationRepository,
    RunRepository,
    WarningRepository,
)
from mortgage_risk.storage.repositories import (
    ApplicationQueries,
    BookQueries,
    BorrowerRepository,
    BranchRepository,
    ComparableQueries,
    LoanRepository,
    ModelRepository,
    OriginationRepository,
    ParameterRepository,
    PortfolioQueries,
    PropertyRepository,
    UserRepository,
    ValuationRepository,
)


class UnitOfWork:
    """Owns commit and rollback. Leaving the block without ``commit()`` rolls back."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.audit = AuditLog(self.session)
        self.branches = BranchRepository(self.session)
        self.users = UserRepository(self.session)
        self.borrowers = BorrowerRepository(self.session)
        self.properties = PropertyRepository(self.session)
        self.loans = LoanRepository(self.session)
        self.portfolio = PortfolioQueries(self.session)
        self.models = ModelRepository(self.session)
        self.applications = ApplicationQueries(self.session)
        self.parameters = ParameterRepository(self.session)
        self.comparables = ComparableQueries(self.session)
        self.valuations = ValuationRepository(self.session)
        self.origination = OriginationRepository(self.session)
        self.book = BookQueries(self.session)
        self.warnings = WarningRepository(self.session)
        self.classes = ClassificationRepository(self.session)
        self.runs = RunRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
