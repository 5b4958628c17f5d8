"""The origination workflow on SQLite and PostgreSQL: every step audited, maker-checker,
authority and overrides, no money before registration, immutable assessments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from mortgage_risk.cli.main import app as cli
from mortgage_risk.config import Settings
from mortgage_risk.services import assessment, origination
from mortgage_risk.services.demo import (
    DEMO_PASSWORD,
    install_demo_model,
    install_demo_parameters,
    seed_portfolio,
)
from mortgage_risk.services.errors import Conflict, InvalidInput, PermissionDenied
from mortgage_risk.services.registry import register_borrower, register_property
from mortgage_risk.services.schemas import (
    ApplicationIn,
    BorrowerIn,
    ContractIn,
    DecisionIn,
    PropertyIn,
    RegistrationIn,
    VisitIn,
)
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import LoanRow, ScheduleRow, WorkflowEventRow
from mortgage_risk.web.app import create_app
from tests.helpers import resident_id

ON = date(2026, 6, 30)
RID = resident_id(seq="515")


def _user(db: Database, name: str) -> CurrentUser:
    with db.uow() as uow:
        row = uow.users.by_username(name)
        assert row is not None
        user = load_user(uow, row.id)
        assert user is not None
        return user


@pytest.fixture
def book(database: Database) -> Database:
    with database.uow() as uow:
        seed_portfolio(uow, actor="test", loans=300, seed=21, as_of=ON, parquet_dir=None)
    with database.uow() as uow:
        install_demo_model(uow)
    with database.uow() as uow:
        install_demo_parameters(uow)
    return database


def _application(db: Database, amount: str = "300000", income: str = "180000") -> int:
    officer = _user(db, "officer1")
    with db.uow() as uow:
        branch = uow.branches.get(officer.branch_id or 0)
        assert branch is not None
        code, township = branch.code, branch.township
    with db.uow() as uow:
        register_borrower(uow, officer, BorrowerIn(
            resident_id=RID, name="李明", segment="salaried_public", township=township,
            branch_code=code, household_income=Decimal(income), dependants=1))
    with db.uow() as uow:
        prop = register_property(uow, officer, PropertyIn(
            owner_resident_id=RID, property_type="urban_housing", land_nature="state_granted",
            structure="reinforced_concrete", storeys=11, build_year=2016,
            floor_area=Decimal("105.3"), land_area=Decimal("18.2"),
            land_term_remaining_years=Decimal(59), township=township, address="新华路18号",
            appraised_value=Decimal(520000), as_of=ON))
    with db.uow() as uow:
        view = origination.create_application(uow, officer, ApplicationIn(
            borrower_resident_id=RID, property_id=prop, amount=Decimal(amount),
            term_months=240, repayment_method="equal_installment",
            purchase_price=Decimal(520000), first_home=True, submitted_on=ON))
    return view.id


def _to_assessed(db: Database, app_id: int) -> assessment.AssessmentView:
    officer = _user(db, "officer1")
    with db.uow() as uow:
        origination.submit(uow, officer, app_id)
    with db.uow() as uow:
        origination.record_visit(uow, officer, app_id, VisitIn(
            visited_on=ON, occupancy="owner", collateral_condition="intact",
            income_verified=True, findings="房屋完好", evidence=["photo-1.jpg"],
            observed={"structure": 85, "finish": 80, "services": 80}))
    with db.uow() as uow:
        return assessment.assess(uow, officer, app_id, on=ON)


def _decider(db: Database, level: str) -> CurrentUser:
    return _user(db, "risk" if level == "credit_committee" else "approver1")


def test_full_path_to_disbursement(book: Database) -> None:
    app_id = _application(book)
    view = _to_assessed(book, app_id)
    assert view.recommendation in ("approve", "approve_with_conditions")
    assert set(view.versions) >= {"scorecard", "rules", "valuation_params", "credit_policy"}
    assert view.versions["valuation_params"] == "valuation-params-2026.1-gx"
    officer, reviewer = _user(book, "officer1"), _user(book, "reviewer1")
    with book.uow() as uow:
        origination.review(uow, reviewer, app_id, agree=True, note="资料齐全，同意")
    decider = _decider(book, view.authority_level)
    with book.uow() as uow:
        origination.decide(uow, decider, app_id, DecisionIn(decision="approve"))
    with book.uow() as uow, pytest.raises(Conflict, match="registered first"):
        origination.disburse(uow, officer, app_id, on=ON)
    with book.uow() as uow:
        origination.sign_contract(uow, officer, app_id, ContractIn(signed_on=ON))
    with book.uow() as uow:
        origination.register_mortgage(uow, officer, app_id, RegistrationIn(
            certificate_no="桂(2026)G县不动产证明第0000515号", registered_on=ON))
    with book.uow() as uow:
        assert origination.disburse(uow, officer, app_id, on=ON).status.value == "disbursed"
    with book.uow() as uow:
        loan = uow.session.scalar(select(LoanRow).where(LoanRow.application_id == app_id))
        assert loan is not None and loan.principal <= Decimal(300000)
        periods = uow.session.scalar(select(func.count()).select_from(ScheduleRow).where(
            ScheduleRow.loan_id == loan.id))
        assert periods == 240
        steps = [e.step for e in uow.session.scalars(select(WorkflowEventRow).where(
            WorkflowEventRow.application_id == app_id).order_by(WorkflowEventRow.id))]
        assert steps == ["submit", "record_visit", "assess", "review", "approve",
                         "sign_contract", "register_mortgage", "disburse"]
        assert verify_chain(uow.session).intact


def test_maker_cannot_review_and_out_of_order_names_state(book: Database) -> None:
    app_id = _application(book)
    officer = _user(book, "officer1")
    with book.uow() as uow, pytest.raises(Conflict, match="the application is draft"):
        origination.record_visit(uow, officer, app_id, VisitIn(
            occupancy="owner", collateral_condition="intact", income_verified=True,
            findings="x"))
    _to_assessed(book, app_id)
    with book.uow() as uow, pytest.raises(PermissionDenied):
        origination.review(uow, officer, app_id, agree=True, note="自己审查")
    approver = _user(book, "approver1")
    with book.uow() as uow, pytest.raises(Conflict, match="the application is assessed"):
        origination.decide(uow, approver, app_id, DecisionIn(decision="approve"))


def test_override_needs_reasons_and_the_next_level(book: Database) -> None:
    app_id = _application(book)
    view = _to_assessed(book, app_id)
    with book.uow() as uow:
        origination.review(uow, _user(book, "reviewer1"), app_id, agree=True, note="同意")
    approver, risk = _user(book, "approver1"), _user(book, "risk")
    against = "decline" if view.recommendation != "decline" else "approve"
    with book.uow() as uow, pytest.raises(InvalidInput) as err:
        origination.decide(uow, risk, app_id, DecisionIn(decision=against))
    assert err.value.field == "reasons"
    if view.authority_level == "branch_head":
        with book.uow() as uow, pytest.raises(PermissionDenied, match="credit_committee"):
            origination.decide(uow, approver, app_id,
                               DecisionIn(decision=against, reasons="借款人工作不稳定"))
    with book.uow() as uow:
        origination.decide(uow, risk, app_id, DecisionIn(decision=against,
                                                          reasons="借款人工作不稳定"))
    with book.uow() as uow:
        decision = uow.origination.decisions(app_id)[-1]
        assert decision.override and decision.decided_by == "risk"


def test_assessments_are_immutable(book: Database) -> None:
    app_id = _application(book)
    view = _to_assessed(book, app_id)
    with pytest.raises(DBAPIError, match="immutable"), book.engine.begin() as conn:
        conn.execute(text("UPDATE assessments SET recommendation = 'approve' WHERE id = :i"),
                     {"i": view.id})
    with pytest.raises(DBAPIError, match="immutable"), book.engine.begin() as conn:
        conn.execute(text("DELETE FROM assessments WHERE id = :i"), {"i": view.id})


def test_bad_application_writes_nothing(book: Database) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as err:
        ApplicationIn.model_validate({"borrower_resident_id": RID, "property_id": 1,
                                      "amount": "-1", "term_months": 240,
                                      "repayment_method": "equal_installment"})
    assert err.value.errors()[0]["loc"] == ("amount",)
    officer = _user(book, "officer1")
    with book.uow() as uow, pytest.raises(Exception, match="no borrower"):
        origination.create_application(uow, officer, ApplicationIn(
            borrower_resident_id=resident_id(seq="999"), property_id=1, amount=Decimal(1000),
            term_months=12, repayment_method="equal_installment"))


runner = CliRunner()


def test_cli_assess_prints_everything(tmp_path: Path) -> None:
    document = {
        "application_date": "2026-11-28", "region_kind": "county_town",
        "borrower": {"resident_id": RID, "segment": "salaried_public",
                     "household_income": "180000", "dependants": 1},
        "loan": {"amount": "300000", "term_months": 240,
                 "repayment_method": "equal_installment", "purchase_price": "520000"},
        "collateral": {"subject": {"property_type": "urban_housing",
                                   "land_nature": "state_granted", "floor_area": "105.3",
                                   "land_area": "18.2", "structure": "reinforced_concrete",
                                   "storeys": 11, "build_year": 2016, "land_term_remaining": 59,
                                   "land_grade": "2"},
                       "comparables": [{"id": f"C{i}", "unit_price": str(4800 + 100 * i),
                                        "transaction_date": "2026-08-01",
                                        "price_index_at_transaction": 100} for i in range(3)],
                       "approaches": ["market"]},
        "operations": {"visit_done": True, "income_verified": True, "documents_complete": True},
    }
    path = tmp_path / "app.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, ["assess", "--application", str(path), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    for key in ("flags", "pd", "grade", "valuation", "ltv", "lgd", "expected_loss",
                "recommendation", "limit", "price", "reasons"):
        assert key in body
    assert body["recommendation"] == "approve" and body["flags"] == []
    document["loan"]["term_months"] = 0
    path.write_text(json.dumps(document), encoding="utf-8")
    bad = runner.invoke(cli, ["assess", "--application", str(path)])
    assert bad.exit_code == 1 and bad.output.startswith("error: loan.term_months:")


@pytest.fixture
def officer_client(book: Database, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(var_dir=tmp_path / "var", secret_key="test-secret-origination-api")
    with TestClient(create_app(settings, book)) as client:
        assert client.post("/api/v1/session", json={"username": "officer1",
                                                     "password": DEMO_PASSWORD}).status_code == 200
        yield client


def test_api_steps_and_errors(book: Database, officer_client: TestClient) -> None:
    app_id = _application(book)
    bad = officer_client.post("/api/v1/applications", json={"amount": "abc"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"]
    early = officer_client.post(f"/api/v1/applications/{app_id}/disbursement", json={})
    assert early.status_code == 409 and "draft" in early.json()["errors"][0]["reason"]
    assert officer_client.post(f"/api/v1/applications/{app_id}/submit").json()["status"] == \
        "submitted"
    detail = officer_client.get(f"/api/v1/applications/{app_id}").json()
    assert detail["status"] == "submitted" and detail["next_steps"] == ["record_visit",
                                                                         "withdraw"]


def test_rule_set_edits_are_checked_and_dry_run(book: Database) -> None:
    from mortgage_risk.services import parameters
    from mortgage_risk.services.rules import dry_run_draft

    _to_assessed(book, _application(book))
    risk = _user(book, "risk")
    with book.uow() as uow:
        content = json.loads(json.dumps(parameters.active_content(uow, "identification_rules")))
    broken = json.loads(json.dumps(content))
    broken["version"] = "identification-rules-2026.2-bad"
    broken["rules"][0]["condition"] = "bureau_npl_elsewhere and and dti"
    with book.uow() as uow, pytest.raises(InvalidInput) as err:
        parameters.create_draft(uow, risk, kind="identification_rules", content=broken)
    assert err.value.field == f"content.rules[{broken['rules'][0]['id']}].condition"
    assert "line 1, column" in err.value.reason
    unknown = json.loads(json.dumps(content))
    unknown["version"] = "identification-rules-2026.2-unknown"
    unknown["rules"][0]["condition"] = "salary_grade > 3"
    with book.uow() as uow, pytest.raises(InvalidInput, match="salary_grade"):
        parameters.create_draft(uow, risk, kind="identification_rules", content=unknown)
    strict = json.loads(json.dumps(content))
    strict["version"] = "identification-rules-2026.2"
    for rule in strict["rules"]:
        if rule["id"] == "RC01":
            rule["condition"] = "dti > 0.10"  # would refer almost everyone
    with book.uow() as uow:
        parameters.create_draft(uow, risk, kind="identification_rules", content=strict)
    with book.uow() as uow:
        report = dry_run_draft(uow, risk, version="identification-rules-2026.2")
    assert report["n_applications"] == 1 and report["draft_version"] == strict["version"]
    assert report["n_changed"] == 1
    assert report["rows"][0]["newly_fired"] == ["RC01"]
