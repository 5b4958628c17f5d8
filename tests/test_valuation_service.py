"""Valuation in the system: stored properties valued with the book's comparables, versioned
parameter sets, the CLI request format, the API and the Chinese report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select
from typer.testing import CliRunner

from mortgage_risk.cli.main import app as cli
from mortgage_risk.config import Settings
from mortgage_risk.services import parameters, valuation
from mortgage_risk.services.demo import DEMO_PASSWORD, seed_portfolio
from mortgage_risk.services.errors import InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import PropertyRow, ValuationRow
from mortgage_risk.web.app import create_app

ON = date(2026, 6, 30)
WHY = {"explanation": "县城住宅以比较法为主，成本法未反映区位价值"}
REQUEST = {
    "valuation_date": "2026-11-28",
    "subject": {"property_type": "urban_housing", "land_nature": "state_granted",
                "floor_area": "120", "land_area": "100", "structure": "brick_concrete",
                "storeys": 6, "build_year": 2005, "land_term_remaining": 49,
                "land_grade": "2", "township": "城关镇"},
    "observed": {"structure": 75, "finish": 70, "services": 70},
    "loan_amount": "150000",
    "claims": {"prior_mortgage": "20000"},
    "region_kind": "county_town",
}


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
        seed_portfolio(uow, actor="test", loans=400, seed=4, as_of=ON, parquet_dir=None)
    return database


def _urban_property(db: Database, branch_id: int | None = None) -> int:
    with db.uow() as uow:
        stmt = select(PropertyRow.id).where(PropertyRow.property_type == "urban_housing",
                                            PropertyRow.seized.is_(False))
        if branch_id is not None:
            from mortgage_risk.storage.tables import BorrowerRow

            stmt = stmt.join(BorrowerRow, BorrowerRow.id == PropertyRow.owner_id).where(
                BorrowerRow.branch_id == branch_id)
        found = uow.session.scalar(stmt.order_by(PropertyRow.id).limit(1))
        assert found is not None
        return int(found)


def _count(db: Database) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ValuationRow)) or 0)


def test_stored_valuation_names_its_parameters(book: Database) -> None:
    risk = _user(book, "risk")
    prop = _urban_property(book)
    with book.uow() as uow:
        view = valuation.valuate_property(uow, risk, prop, valuation_date=ON,
                                          loan_amount=Decimal("150000"), request=WHY)
    result = view.result
    assert result["params_version"] == "valuation-params-2026.1"
    assert set(result["approaches"]) >= {"cost"}
    assert result["comparables_used"] >= 3
    market, mortgage = Decimal(result["market_value"]), Decimal(result["mortgage_value"])
    assert Decimal(result["net_mortgage_value"]) <= mortgage <= market
    assert result["ltv"] == pytest.approx(150000 / float(mortgage), rel=1e-9)
    with book.uow() as uow:
        row = uow.valuations.get(view.id or 0)
        assert row is not None and row.params_version == "valuation-params-2026.1"
        assert row.market_value == market
        assert uow.parameters.active("valuation") is not None  # default installed once
        assert verify_chain(uow.session).intact


def test_scope_and_roles(book: Database) -> None:
    officer, audit = _user(book, "officer1"), _user(book, "audit")
    with book.uow() as uow:
        other_branch = [b.id for b in uow.branches.all() if b.id != officer.branch_id][0]
    prop = _urban_property(book, other_branch)
    with book.uow() as uow, pytest.raises(NotFound):
        valuation.valuate_property(uow, officer, prop, valuation_date=ON)
    with book.uow() as uow, pytest.raises(PermissionDenied):
        valuation.valuate_property(uow, audit, prop, valuation_date=ON)
    assert _count(book) == 0


def test_bad_request_writes_nothing(book: Database) -> None:
    risk = _user(book, "risk")
    prop = _urban_property(book)
    with book.uow() as uow, pytest.raises(InvalidInput) as err:
        valuation.valuate_property(uow, risk, prop, valuation_date=ON,
                                   request={"approaches": ["income"], **WHY})
    assert err.value.field == "income"
    with book.uow() as uow, pytest.raises(InvalidInput) as err:
        valuation.valuate_property(uow, risk, prop, valuation_date=ON,
                                   request={"subject": {"build_year": 2030}, **WHY})
    assert err.value.field == "subject.build_year"
    assert _count(book) == 0


def test_new_parameter_version_is_used_after_activation(book: Database) -> None:
    risk = _user(book, "risk")
    with book.uow() as uow:
        content = json.loads(json.dumps(parameters.active_content(uow, "valuation")))
    broken = {**content, "version": "bad", "residual_rate": {"steel": "x"}}
    with book.uow() as uow, pytest.raises(InvalidInput) as err:
        parameters.create_draft(uow, risk, kind="valuation", content=broken)
    assert err.value.field.startswith("content")
    content["version"] = "valuation-params-2026.2"
    with book.uow() as uow:
        assert parameters.create_draft(uow, risk, kind="valuation", content=content,
                                       notes="county benchmark prices 2026").status == "draft"
    with book.uow() as uow, pytest.raises(PermissionDenied, match="maker-checker"):
        parameters.activate(uow, risk, kind="valuation", version="valuation-params-2026.2")
    with book.uow() as uow:
        parameters.activate(uow, _user(book, "modeller"), kind="valuation",
                            version="valuation-params-2026.2")
    with book.uow() as uow:
        statuses = {v.version: v.status for v in parameters.list_sets(uow, "valuation")}
    assert statuses == {"valuation-params-2026.1": "retired",
                        "valuation-params-2026.2": "active"}
    with book.uow() as uow:
        view = valuation.valuate_property(uow, risk, _urban_property(book), valuation_date=ON,
                                          request=WHY)
    assert view.result["params_version"] == "valuation-params-2026.2"


runner = CliRunner()


def test_cli_valuate_prints_the_whole_breakdown(tmp_path: Path) -> None:
    path = tmp_path / "property.json"
    path.write_text(json.dumps(REQUEST, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(cli, ["valuate", "--input", str(path), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    for key in ("market_value", "mortgage_value", "net_mortgage_value", "newness",
                "indications", "ltv", "lgd", "params_version"):
        assert key in body
    assert Decimal(body["mortgage_value"]) == Decimal(body["market_value"]) - 20000


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [(("subject", "structure"), "bamboo", "subject.structure"),
     (("subject", "property_type"), "castle", "subject.property_type"),
     (("subject", "build_year"), 2030, "subject.build_year"),
     (("subject", "floor_area"), "-5", "subject.floor_area"),
     (("subject", "land_term_remaining"), 80, "subject.land_term_remaining"),
     (("approaches",), ["income"], "income")],
)
def test_cli_bad_input_is_one_line_naming_the_field(tmp_path: Path, path: tuple[str, ...],
                                                    value: Any, field: str) -> None:
    document = json.loads(json.dumps(REQUEST))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(cli, ["valuate", "--input", str(file)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}:")


@pytest.fixture
def client(book: Database, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-valuation")
    with TestClient(create_app(settings, book)) as c:
        assert c.post("/api/v1/session", json={"username": "risk",
                                               "password": DEMO_PASSWORD}).status_code == 200
        yield c


def test_api_valuation_and_chinese_report(client: TestClient, book: Database,
                                          tmp_path: Path) -> None:
    assert client.post("/api/v1/valuations/preview", json=REQUEST).status_code == 200
    bad = client.post("/api/v1/valuations/preview",
                      json={**REQUEST, "subject": {**REQUEST["subject"], "floor_area": "0"}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "subject.floor_area"
    prop = _urban_property(book)
    created = client.post(f"/api/v1/properties/{prop}/valuations",
                          json={"valuation_date": ON.isoformat(), "loan_amount": "120000",
                                "request": WHY})
    assert created.status_code == 201, created.text
    valuation_id = created.json()["valuation_id"]
    fetched = client.get(f"/api/v1/valuations/{valuation_id}").json()
    assert fetched["result"]["market_value"] == created.json()["result"]["market_value"]
    page = client.get(f"/api/v1/valuations/{valuation_id}/report.html")
    assert page.status_code == 200
    assert "抵押物估价报告" in page.text and "valuation-params-2026.1" in page.text
    pdf = client.get(f"/api/v1/valuations/{valuation_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    out = tmp_path / "report.pdf"
    out.write_bytes(pdf.content)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "抵押价值" in text and "成本法" in text
