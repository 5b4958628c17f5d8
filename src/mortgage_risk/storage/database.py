"""A database handle: the engine, its sessions, and units of work on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mortgage_risk.storage import migrate
from mortgage_risk.storage.db import make_engine, session_factory
from mortgage_risk.storage.uow import UnitOfWork


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)

    @classmethod
    def connect(cls, url: str) -> Database:
        return cls(make_engine(url))

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def upgrade(self) -> None:
        migrate.upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
