"""The scorecard registry on SQLite and PostgreSQL: lifecycle, maker-checker, one active model,
and application scores that name the model version."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from mortgage_risk.domain import Role
from mortgage_risk.scoring.artifact import canonical
from mortgage_risk.services import models
from mortgage_risk.services.demo import install_demo_model, seed_portfolio
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import ScorecardModelRow

BOOK = {"loans": 1500, "seed": 3, "as_of": date(2026, 6, 30)}


def _user(db: Database, username: str) -> CurrentUser:
    with db.uow() as uow:
        row = uow.users.by_username(username)
        assert row is not None
        user = load_user(uow, row.id)
        assert user is not None
        return user


@pytest.fixture
def book(database: Database) -> Database:
    with database.uow() as uow:
        seed_portfolio(uow, actor="test", parquet_dir=None, **BOOK)  # type: ignore[arg-type]
    return database


def _second_version() -> str:
    body = json.loads(models.shipped_artifact())
    body.pop("sha256")
    body["model_version"] = "mortgage-test-2"

    body["sha256"] = hashlib.sha256(canonical(body)).hexdigest()
    return json.dumps(body)


def test_lifecycle_with_maker_checker(book: Database) -> None:
    modeller, risk = _user(book, "modeller"), _user(book, "risk")
    officer = _user(book, "officer1")
    artifact = models.shipped_artifact()
    with book.uow() as uow, pytest.raises(PermissionDenied):
        models.register_model(uow, officer, artifact=artifact)
    with book.uow() as uow:
        view = models.register_model(uow, modeller, artifact=artifact)
    assert view.status.value == "trained"
    with book.uow() as uow, pytest.raises(Conflict):
        models.approve_model(uow, risk, version=view.version)  # not validated yet
    with book.uow() as uow:
        validated = models.validate_model(uow, modeller, version=view.version)
    assert validated.validation is not None and 0.6 < validated.validation["auc"] < 0.9
    with book.uow() as uow, pytest.raises(Conflict, match="trainer"):
        models.approve_model(uow, modeller, version=view.version)
    with book.uow() as uow:
        assert models.approve_model(uow, risk, version=view.version).approved_by == "risk"
        assert models.activate_model(uow, risk, version=view.version).status.value == "active"
    with book.uow() as uow:
        active, scorecard = models.active_model(uow)
        assert active.version == view.version and scorecard.features_
        assert verify_chain(uow.session).intact


def test_activating_a_new_model_retires_the_old_one(book: Database) -> None:
    modeller, risk = _user(book, "modeller"), _user(book, "risk")
    with book.uow() as uow:
        first = install_demo_model(uow)
    assert first == "mortgage-default-2026.11"
    with book.uow() as uow:
        assert install_demo_model(uow) is None  # already active: nothing to do
    with book.uow() as uow:
        second = models.register_model(uow, modeller, artifact=_second_version())
    with book.uow() as uow:
        models.validate_model(uow, modeller, version=second.version)
    with book.uow() as uow:
        models.approve_model(uow, risk, version=second.version)
    with book.uow() as uow:
        models.activate_model(uow, risk, version=second.version)
    with book.uow() as uow:
        status = {v.version: v.status.value for v in models.list_models(uow)}
    assert status == {first: "retired", second.version: "active"}


def test_database_refuses_two_active_models(book: Database) -> None:
    with book.uow() as uow:
        install_demo_model(uow)
    with book.uow() as uow:
        uow.session.add(
            ScorecardModelRow(
                product="mortgage",
                version="rogue",
                name="rogue",
                sha256="0" * 64,
                artifact="{}",
                status="active",
                trained_by="x",
                trained_at=datetime.now(UTC),
            )
        )
        with pytest.raises(IntegrityError):
            uow.session.flush()


def test_tampered_or_duplicate_artifact_is_refused(book: Database) -> None:
    modeller = _user(book, "modeller")
    body = json.loads(models.shipped_artifact())
    body["intercept"]["estimate"] += 0.5
    with book.uow() as uow, pytest.raises(InvalidInput, match="checksum"):
        models.register_model(uow, modeller, artifact=json.dumps(body))
    with book.uow() as uow:
        models.register_model(uow, modeller, artifact=models.shipped_artifact())
    with book.uow() as uow, pytest.raises(Conflict, match="already registered"):
        models.register_model(uow, modeller, artifact=models.shipped_artifact())


def test_score_names_the_model_and_respects_branches(book: Database) -> None:
    with book.uow() as uow:
        install_demo_model(uow)
    risk = _user(book, "risk")
    officer = _user(book, "officer1")
    with book.uow() as uow:
        frame = uow.applications.scoring_frame(list(range(1, 400)))
    own = int(frame[frame["branch_id"] == officer.branch_id]["application_id"].iloc[0])
    other = int(frame[frame["branch_id"] != officer.branch_id]["application_id"].iloc[0])
    with book.uow() as uow:
        view = models.score_application(uow, officer, application_id=own)
    assert view.model_version == "mortgage-default-2026.11"
    assert 0 < view.pd < 1 and 300 < view.score < 900 and view.grade
    with book.uow() as uow, pytest.raises(NotFound):
        models.score_application(uow, officer, application_id=other)
    with book.uow() as uow:
        stored = uow.models.scores_of(own)
        assert len(stored) == 1
        assert stored[0].model_version == view.model_version
        assert stored[0].feature_params_version == "features-2026.1"
        assert stored[0].reason_codes[0]["reason_1"]
    with book.uow() as uow:
        assert models.score_application(uow, risk, application_id=other).score > 0


def test_no_active_model_is_a_clear_error(sqlite_database: Database) -> None:
    risk = CurrentUser(1, "risk", "risk", Role.RISK_MANAGER, None)
    with sqlite_database.uow() as uow, pytest.raises(NotFound, match="no active scorecard"):
        models.score_application(uow, risk, application_id=1)
