"""The portfolio risk service: provisions, indicators, scope, classification source, migration,
the reduced repayment history, stress tests; on a small hand-built book where every figure
is worked out by hand, on SQLite and PostgreSQL, and on the seeded synthetic book."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from mortgage_risk.domain import PropertyType
from mortgage_risk.monitoring import portfolio as pf
from mortgage_risk.monitoring.policy import MonitoringPolicy, ScenarioSpec
from mortgage_risk.services import portfolio_risk as pr
from mortgage_risk.services.errors import Conflict, InvalidInput, PermissionDenied
from mortgage_risk.services.users import CurrentUser, create_user, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.risk_queries import RiskQueries
from mortgage_risk.storage.tables import (
    BorrowerRow,
    BranchRow,
    LoanClassificationRow,
    LoanRow,
    PropertyRow,
    RepaymentRow,
)

AS_OF = date(2026, 6, 30)
PASSWORD = "Bank@2026-xyz!"
POLICY = MonitoringPolicy.load_default()

# name, branch, class, balance, days past due, property type, value, first unpaid due date
SPEC: tuple[tuple[str, str, str, int, int, str, int, date | None], ...] = (
    ("L1", "B01", "normal", 100_000, 0, "urban_housing", 300_000, None),
    ("L2", "B01", "special_mention", 50_000, 46, "urban_housing", 100_000, date(2026, 5, 15)),
    ("L3", "B01", "substandard", 40_000, 120, "shop", 50_000, date(2024, 2, 15)),
    ("L4", "B02", "doubtful", 20_000, 300, "rural_house", 20_000, date(2024, 2, 15)),
    ("L5", "B02", "loss", 10_000, 400, "land_management_right", 5_000, date(2024, 2, 15)),
    ("L6", "B02", "normal", 80_000, 0, "office", 200_000, None),
)
TOWNSHIP = {"B01": "城关镇", "B02": "河口镇"}


def _months(start: date, end: date) -> list[date]:
    out, d = [], start
    while d <= end:
        out.append(d)
        d = date(d.year + (d.month // 12), d.month % 12 + 1, d.day)
    return out


@dataclass
class HandBook:
    db: Database
    loans: dict[str, int]
    users: dict[str, CurrentUser]


def _user(db: Database, username: str) -> CurrentUser:
    with db.uow() as uow:
        row = uow.users.by_username(username)
        assert row is not None
        user = load_user(uow, row.id)
        assert user is not None
        return user


def build_book(db: Database) -> HandBook:
    """Six active loans (and one settled) whose provisions are worked out in the tests."""
    with db.uow() as uow:
        branches = {}
        for code, name in (("B01", "城关信用社"), ("B02", "河口信用社")):
            row = BranchRow(code=code, name_zh=name, name_en=f"{code} branch", kind="town",
                            township=TOWNSHIP[code])
            uow.session.add(row)
            uow.session.flush()
            branches[code] = row.id
        uow.commit()
    with db.uow() as uow:
        for username, role, branch in (("risk", "risk_manager", None),
                                       ("officer", "loan_officer", "B01"),
                                       ("reviewer", "reviewer", "B02"),
                                       ("approver", "approver", "B02"),
                                       ("trainer", "trainer", None)):
            create_user(uow, actor="test", username=username, full_name=f"测试 {username}",
                        password=PASSWORD, role=role, branch_code=branch)
        uow.commit()
    officer = _user(db, "officer")
    loans: dict[str, int] = {}
    with db.uow() as uow:
        s = uow.session
        rows = [*SPEC, ("L7", "B01", "normal", 0, 0, "urban_housing", 90_000, None)]
        for i, (name, code, cat, bal, dpd, ptype, value, unpaid) in enumerate(rows):
            b = BorrowerRow(resident_id=f"45032119800101{i:04d}", name=f"借款人{name}",
                            segment="farmer", township=TOWNSHIP[code], branch_id=branches[code],
                            birth_date=date(1980, 1, 1), household_income=Decimal("90000"))
            s.add(b)
            s.flush()
            p = PropertyRow(owner_id=b.id, property_type=ptype, land_nature="state_granted",
                            floor_area=Decimal("90"), land_area=Decimal("30"),
                            township=TOWNSHIP[code], address=f"{name} 地址",
                            registration_status="registered", appraised_value=Decimal(value),
                            appraisal_date=AS_OF)
            s.add(p)
            s.flush()
            settled = name == "L7"
            loan = LoanRow(contract_no=f"HB{name}", borrower_id=b.id, property_id=p.id,
                           branch_id=branches[code],
                           officer_id=officer.id if name == "L1" else None,
                           principal=Decimal(max(bal, 50_000)), term_months=60,
                           annual_rate=Decimal("0.05"), repayment_method="equal_installment",
                           origination_date=date(2023, 12, 15), maturity_date=date(2027, 6, 30),
                           status="settled" if settled else "active",
                           outstanding_principal=Decimal(bal), overdue_amount=Decimal(0),
                           days_past_due=dpd, five_category=cat, as_of=AS_OF)
            s.add(loan)
            s.flush()
            loans[name] = loan.id
            last = date(2025, 6, 15) if settled else date(2026, 6, 15)
            for n, due in enumerate(_months(date(2024, 1, 15), last), start=1):
                paid = unpaid is None or due < unpaid
                s.add(RepaymentRow(loan_id=loan.id, period_no=n, due_date=due,
                                   amount_due=Decimal("1000"),
                                   amount_paid=Decimal("1000") if paid else Decimal(0),
                                   paid_date=due if paid else None, days_past_due=0))
        uow.commit()
    users = {u: _user(db, u) for u in ("risk", "officer", "reviewer", "approver", "trainer")}
    return HandBook(db, loans, users)


@pytest.fixture
def hand(database: Database) -> HandBook:
    return build_book(database)


@pytest.fixture
def hand_sqlite(sqlite_database: Database) -> HandBook:
    return build_book(sqlite_database)


def _risk(book: HandBook, username: str = "risk", **kw: Any) -> dict[str, Any]:
    with book.db.uow() as uow:
        return pr.portfolio_risk(uow, book.users[username], **kw)


def _indicator(result: dict[str, Any], key: str) -> dict[str, Any]:
    return next(i for i in result["indicators"] if i["key"] == key)


# --------------------------------------------------------------------------- by hand

def test_provisions_and_indicators_equal_the_hand_calculation(hand: HandBook) -> None:
    r = _risk(hand)
    assert r["as_of"] == AS_OF and r["book_as_of"] == AS_OF and r["scope"] is None
    assert r["versions"]["monitoring_policy"] == POLICY.version
    assert r["versions"]["classification"]["source"] == "book"
    assert r["versions"]["classification"]["book_loans"] == 6

    # specific provision = balance x the class rate (2/25/50/100%)
    rates = {"normal": 0, "special_mention": Decimal("0.02"), "substandard": Decimal("0.25"),
             "doubtful": Decimal("0.5"), "loss": Decimal(1)}
    by_cat = {c["category"]: c for c in r["provisions"]["by_category"]}
    for _name, _branch, cat, *_rest in SPEC:
        assert by_cat[cat]["rate"] == Decimal(rates[cat]).quantize(Decimal("0.000001"))
    expected_specific = {"normal": Decimal("0.00"), "special_mention": Decimal("1000.00"),
                         "substandard": Decimal("10000.00"), "doubtful": Decimal("10000.00"),
                         "loss": Decimal("10000.00")}
    assert {k: v["specific_provision"] for k, v in by_cat.items()} == expected_specific
    assert by_cat["normal"]["loans"] == 2 and by_cat["normal"]["balance"] == Decimal("180000.00")

    # PD: L1, L2, L6 and L7 (settled in June 2025) were current at each of the 12 month ends
    # 2024-07-31 .. 2025-06-30 and none defaulted within a year -> the 0.03% floor
    current = r["pd_table"][0]
    assert current["bucket"] == "current" and current["observed"] == 48
    assert current["defaults"] == 0 and current["pd"] == Decimal("0.000300")

    # ECL = PD x LGD x EAD, LGD = max(10%, 1 - value x 65% / balance)
    # L1 0.0003 x 0.1 x 100000 = 3.00; L6 0.0003 x 0.1 x 80000 = 2.40 (stage 1)
    # L2 stage 2, lifetime PD over 1 year = 0.0003: 0.0003 x 0.1 x 50000 = 1.50
    # L3 1 x (1 - 32500/40000) x 40000 = 7500; L4 rural 1 x (1 - 13000/20000) x 20000 = 7000;
    # L5 1 x (1 - 3250/10000) x 10000 = 6750 (stage 3)
    stages = {s["stage"]: s for s in r["provisions"]["by_stage"]}
    assert stages[1]["ecl"] == Decimal("5.40") and stages[1]["loans"] == 2
    assert stages[2]["ecl"] == Decimal("1.50") and stages[2]["provision"] == Decimal("1000.00")
    assert stages[3]["ecl"] == Decimal("21250.00") and stages[3]["loans"] == 3
    t = r["totals"]
    assert t["balance"] == Decimal("300000.00") and t["npl_balance"] == Decimal("70000.00")
    assert t["specific_provision"] == Decimal("31000.00")
    assert t["ecl"] == Decimal("21256.90")
    assert t["provision"] == Decimal("31005.40")  # sum of max(ECL, specific) per loan
    assert t["general_reserve"] == Decimal("4500.00")  # 1.5% x 300000

    npl = _indicator(r, "npl_ratio")
    assert npl["value"] == Decimal("0.233333") and npl["breach"]
    assert npl["limit_max"] == Decimal("0.050000")
    cov = _indicator(r, "provision_coverage")
    assert cov["value"] == Decimal("0.442934") and cov["breach"]  # 31005.40 / 70000 < 120%
    assert cov["limit_min"] == Decimal("1.200000") and cov["band_max"] == Decimal("1.500000")
    lpr = _indicator(r, "loan_provision_ratio")
    assert lpr["value"] == Decimal("0.103351") and not lpr["breach"]
    dev = _indicator(r, "dpd90_to_npl")
    assert dev["value"] == Decimal("1.000000") and not dev["breach"]
    assert _indicator(r, "par30")["value"] == Decimal("0.400000")  # L2..L5 / 300000
    assert _indicator(r, "par90")["value"] == Decimal("0.233333")

    conc = {c["limit"]: c for c in r["concentration"]}
    # real estate: urban housing, rural house, shop, office = 290000 of the union's 18 bn
    assert conc["real_estate"]["balance"] == Decimal("290000.00")
    assert conc["personal_housing"]["balance"] == Decimal("170000.00")
    assert not conc["real_estate"]["breach"]


def test_breakdown_by_each_dimension_adds_up(hand: HandBook) -> None:
    for group_by in pr.GROUPS:
        r = _risk(hand, group_by=group_by)
        lines = r["breakdown"]
        assert sum(x["loans"] for x in lines) == 6
        assert sum(x["balance"] for x in lines) == r["totals"]["balance"]
        assert abs(sum(x["provision"] for x in lines) - r["totals"]["provision"]) <= \
            Decimal("0.005") * len(lines)
    by_type = {x["key"]: x for x in _risk(hand, group_by="property_type")["breakdown"]}
    assert by_type["shop"]["label_zh"] == PropertyType.SHOP.label_zh
    assert by_type["shop"]["npl_ratio"] == Decimal("1.000000")
    assert "npl_ratio" in by_type["shop"]["breaches"]
    assert list(by_type) == [p.value for p in PropertyType if p.value in by_type]
    by_town = {x["key"]: x for x in _risk(hand, group_by="township")["breakdown"]}
    assert by_town["城关镇"]["balance"] == Decimal("190000.00")
    officers = {x["key"]: x for x in _risk(hand, group_by="officer")["breakdown"]}
    assert officers[str(hand.users["officer"].id)]["label_zh"] == "测试 officer"
    assert officers["unassigned"]["loans"] == 5
    with hand.db.uow() as uow, pytest.raises(InvalidInput) as err:
        pr.portfolio_risk(uow, hand.users["risk"], group_by="county")
    assert err.value.field == "group_by"


def test_branch_scope_by_role(hand: HandBook) -> None:
    mine = _risk(hand, "officer")
    assert mine["scope"]["code"] == "B01"
    assert mine["totals"]["loans"] == 3 and mine["totals"]["balance"] == Decimal("190000.00")
    assert mine["totals"]["npl_balance"] == Decimal("40000.00")
    assert [x["label_zh"] for x in mine["breakdown"]] == ["城关信用社"]
    reviewer = _risk(hand, "reviewer")
    assert reviewer["scope"]["code"] == "B02" and reviewer["totals"]["loans"] == 3
    approver = _risk(hand, "approver")  # an approver sees the whole union
    assert approver["scope"] is None and approver["totals"]["loans"] == 6
    with hand.db.uow() as uow:
        with pytest.raises(PermissionDenied):
            pr.portfolio_risk(uow, hand.users["trainer"])
        with pytest.raises(PermissionDenied):
            pr.stress_test(uow, hand.users["trainer"])
        with pytest.raises(PermissionDenied):
            pr.migration(uow, hand.users["trainer"])
        stress = pr.stress_test(uow, hand.users["officer"])
        assert stress["baseline"]["loans"] == 3
        vint = pr.vintages(uow, hand.users["officer"])
        assert [v["loans"] for v in vint["vintages"]] == [4]  # L1, L2, L3 and the settled L7


# --------------------------------------------------------------------------- classification

def _store_run(db: Database, on: date, classes: dict[int, str], version: str = "test-1") -> None:
    with db.uow() as uow:
        for loan_id, cat in classes.items():
            uow.session.add(LoanClassificationRow(
                loan_id=loan_id, as_of=on, category=cat, previous_category=None,
                dpd_floor_category=cat, driver="dpd", reasons=["DPD_CURRENT"],
                policy_version=version))
        uow.commit()


def test_stored_classification_takes_precedence(hand: HandBook) -> None:
    ids = hand.loans
    _store_run(hand.db, date(2025, 12, 31), {ids["L1"]: "normal", ids["L6"]: "doubtful"})
    _store_run(hand.db, AS_OF, {ids[n]: c for n, _, c, *_r in SPEC} | {ids["L6"]: "loss"},
               version="test-2")
    latest = _risk(hand)
    cls = latest["versions"]["classification"]
    assert cls["source"] == "stored" and cls["as_of"] == AS_OF and cls["stored_loans"] == 6
    assert cls["policy_versions"] == ["test-2"]
    by_cat = {c["category"]: c for c in latest["provisions"]["by_category"]}
    assert by_cat["loss"]["loans"] == 2 and by_cat["normal"]["loans"] == 1
    assert latest["totals"]["npl_balance"] == Decimal("150000.00")
    earlier = _risk(hand, as_of=date(2026, 3, 31))  # the run of 2025-12-31 for L1 and L6
    cls = earlier["versions"]["classification"]
    assert cls["source"] == "mixed" and cls["stored_loans"] == 2 and cls["book_loans"] == 4
    assert cls["as_of"] == date(2025, 12, 31)
    assert earlier["totals"]["npl_balance"] == Decimal("150000.00")  # L6 doubtful then


def test_migration_between_stored_runs(hand: HandBook) -> None:
    ids = hand.loans
    _store_run(hand.db, date(2025, 6, 30), {
        ids["L1"]: "normal", ids["L2"]: "normal", ids["L7"]: "normal",
        ids["L3"]: "special_mention", ids["L4"]: "substandard", ids["L5"]: "doubtful"})
    _store_run(hand.db, AS_OF, {
        ids["L1"]: "normal", ids["L2"]: "special_mention", ids["L3"]: "substandard",
        ids["L4"]: "doubtful", ids["L5"]: "loss", ids["L6"]: "normal"})
    with hand.db.uow() as uow:
        m = pr.migration(uow, hand.users["risk"])  # default: the stored pair a year apart
        explicit = pr.migration(uow, hand.users["risk"], date(2025, 6, 30), AS_OF)
        computed = pr.migration(uow, hand.users["risk"], date(2025, 12, 31), AS_OF)
        branch = pr.migration(uow, hand.users["officer"], date(2025, 6, 30), AS_OF)
        with pytest.raises(InvalidInput) as err:
            pr.migration(uow, hand.users["risk"], AS_OF, date(2025, 6, 30))
    assert err.value.field == "from"
    assert m["source"] == "stored" and (m["from"], m["to"]) == (date(2025, 6, 30), AS_OF)
    assert m["rows"] == explicit["rows"]
    rows = {r["from"]: r for r in m["rows"]}
    assert rows["normal"]["counts"] == {"normal": 1, "special_mention": 1, "substandard": 0,
                                        "doubtful": 0, "loss": 0, "closed": 1}
    assert rows["special_mention"]["counts"]["substandard"] == 1
    assert rows["substandard"]["counts"]["doubtful"] == 1
    assert rows["doubtful"]["counts"]["loss"] == 1
    # every row sums to the loans in it at the start; without "closed", to those at both dates
    assert sum(r["loans"] for r in m["rows"]) == m["loans_from"] == 6
    assert m["loans_both"] == 5
    assert rows["normal"]["shares"]["normal"] == Decimal("0.333333")
    assert computed["source"] == "computed"
    assert branch["loans_from"] == 4  # L1, L2, L3 and L7 of B01


def test_migration_computed_from_repayments_by_hand(hand: HandBook) -> None:
    with hand.db.uow() as uow:
        m = pr.migration(uow, hand.users["risk"], date(2025, 12, 31), AS_OF)
    rows = {r["from"]: r for r in m["rows"]}
    # 2025-12-31: L1, L2, L6 current (normal); L3, L4, L5 unpaid since 2024-02-15 (loss);
    # L7 ended 2025-06-15 and owes nothing: already closed. 2026-06-30: L2 46 days past due.
    assert rows["normal"]["counts"] == {"normal": 2, "special_mention": 1, "substandard": 0,
                                        "doubtful": 0, "loss": 0, "closed": 0}
    assert rows["loss"]["counts"]["loss"] == 3
    assert m["loans_from"] == m["loans_both"] == 6


# --------------------------------------------------------------------------- stress

def test_stress_shock_raises_ltv_and_loss_and_zero_equals_baseline(hand: HandBook) -> None:
    with hand.db.uow() as uow:
        r = pr.stress_test(uow, hand.users["risk"], [
            ScenarioSpec("zero", 0.0), ScenarioSpec("minus30", -0.3)])
    base, zero, minus30 = r["baseline"], *r["scenarios"]
    assert r["versions"]["monitoring_policy"] == POLICY.version
    # baseline: only L5 (10000 on 5000) is over 100%; L4 is exactly at 100%
    assert base["share_ltv_over_100"] == Decimal("0.166667")
    # -30%: L3 shop 50000 -> 35000 < 40000; L4 rural (half the shock) 20000 -> 17000 < 20000
    assert minus30["share_ltv_over_100"] == Decimal("0.500000")
    assert minus30["balance_share_ltv_over_100"] == Decimal("0.233333")
    assert minus30["expected_loss"] > base["expected_loss"]
    assert minus30["expected_loss_change"] == minus30["expected_loss"] - base["expected_loss"]
    assert minus30["provisions"] >= base["provisions"]
    for key in ("share_ltv_over_100", "expected_loss", "provisions", "npl_ratio",
                "npl_balance", "mean_pd"):
        assert zero[key] == base[key], key
    assert zero["expected_loss_change"] == Decimal("0.00")


def test_stress_requests_name_the_field() -> None:
    from pydantic import ValidationError

    from mortgage_risk.web.errors import validation_errors

    def fields(body: dict[str, Any]) -> list[str | None]:
        with pytest.raises(ValidationError) as err:
            pr.StressIn.model_validate(body)
        return [e["field"] for e in validation_errors(err.value.errors())]

    assert fields({"house_price_shocks": [-0.1], "house_price_path": [-0.01]}) == [
        "house_price_path"]
    assert fields({"house_price_shocks": [-1.5]}) == ["house_price_shocks"]
    assert fields({"scenarios": [{"name": "x", "house_price_shock": -0.2,
                                  "house_price_path": [-0.1]}]}) == ["house_price_path"]
    assert fields({"scenarios": [{"name": "x"}], "pd_multiplier": 2}) == ["pd_multiplier"]
    assert fields({"pd_multiplier": -1, "house_price_shocks": [-0.1]}) == ["pd_multiplier"]
    specs = pr.stress_scenarios(pr.StressIn(house_price_shocks=[-0.1, -0.2],
                                            pd_multiplier=1.5))
    assert specs is not None
    assert [(s.house_price_shock, s.pd_multiplier) for s in specs] == [(-0.1, 1.5),
                                                                       (-0.2, 1.5)]
    path = pr.stress_scenarios(pr.StressIn(house_price_path=[-0.05, -0.05]))
    assert path is not None and path[0].house_price_path == (-0.05, -0.05)
    assert pr.stress_scenarios(pr.StressIn()) is None
    with pytest.raises(InvalidInput) as err:
        pr.stress_scenarios(pr.StressIn(scenarios=[pr.ScenarioIn(name="a"),
                                                   pr.ScenarioIn(name="a")]))
    assert err.value.field == "scenarios"


def test_stress_is_monotone_in_the_shock(hand_sqlite: HandBook) -> None:
    with hand_sqlite.db.uow() as uow:
        book = pr.load_book(uow, hand_sqlite.users["risk"])

        @settings(max_examples=30, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(a=st.floats(-0.9, 0.0), b=st.floats(-0.9, 0.0), m=st.floats(1.0, 5.0))
        def check(a: float, b: float, m: float) -> None:
            lo, hi = min(a, b), max(a, b)
            r = pr.stress_test(uow, hand_sqlite.users["risk"], [
                ScenarioSpec("worse", lo, pd_multiplier=m), ScenarioSpec("milder", hi,
                                                                          pd_multiplier=m)],
                book=book)
            worse, milder = r["scenarios"]
            assert worse["share_ltv_over_100"] >= milder["share_ltv_over_100"]
            assert worse["expected_loss"] >= milder["expected_loss"]
            assert worse["provisions"] >= milder["provisions"]
            assert milder["expected_loss"] >= r["baseline"]["expected_loss"]

        check()


# --------------------------------------------------------------------------- observed PD

def _history(rows: list[tuple[int, date, date | None]]) -> pd.DataFrame:
    return pd.DataFrame({
        "loan_id": [r[0] for r in rows],
        "due_date": pd.to_datetime([r[1] for r in rows]),
        "amount_due": 100.0,
        "amount_paid": [100.0 if r[2] else 0.0 for r in rows],
        "paid_date": pd.to_datetime([r[2] for r in rows]),
    })


def test_observed_pd_by_hand() -> None:
    # one cohort at 2025-06-30; loans 1-3 current, loan 4 twenty days past due then
    rows: list[tuple[int, date, date | None]] = []
    for loan in (1, 2, 3, 4):
        for due in _months(date(2025, 1, 10), date(2026, 6, 10)):
            late = (loan == 2 and due >= date(2025, 9, 10)) or \
                (loan == 4 and due >= date(2025, 6, 10))
            rows.append((loan, due, None if late else due))
    table = pr.observed_pd(_history(rows), as_of=AS_OF, policy=POLICY, cohorts=1)
    pds = dict(zip(table["bucket"], table["pd"], strict=True))
    assert table.loc[0, "observed"] == 3 and table.loc[0, "defaults"] == 1  # loan 2
    assert pds["current"] == pytest.approx(1 / 3)
    assert table.loc[1, "observed"] == 1 and pds["1-30"] == 1.0  # loan 4 defaulted
    assert pds["31-60"] == pds["61-90"] == 1.0 and pds["360+"] == 1.0
    with pytest.raises(Conflict):
        pr.observed_pd(_history([(1, date(2026, 5, 10), date(2026, 5, 10))]), as_of=AS_OF,
                       policy=POLICY)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 29), st.integers(0, 400), st.booleans()),
                min_size=1, max_size=12))
def test_observed_pd_is_a_monotone_probability(loans: list[tuple[int, int, bool]]) -> None:
    rows: list[tuple[int, date, date | None]] = [(0, d, d) for d in
                                                 _months(date(2023, 1, 5), date(2026, 6, 5))]
    for i, (miss_from, delay, paid) in enumerate(loans, start=1):
        for k, due in enumerate(_months(date(2023, 1, 5), date(2026, 6, 5))):
            if k < miss_from:
                rows.append((i, due, due))
            else:
                rows.append((i, due, due + timedelta(days=delay) if paid else None))
    table = pr.observed_pd(_history(rows), as_of=AS_OF, policy=POLICY)
    p = table["pd"].to_numpy()
    assert np.all(np.diff(p) >= 0)
    assert np.all((p >= pr.PD_FLOOR) & (p <= 1.0))
    assert np.all(table["defaults"] <= table["observed"])


# --------------------------------------------------------------------------- helpers, empty

@settings(max_examples=200)
@given(st.floats(-1e12, 1e12, allow_nan=False))
def test_money_is_within_half_a_fen(x: float) -> None:
    m = pr.money(x)
    assert m.as_tuple().exponent == -2
    assert abs(float(m) - x) <= 0.005 + abs(x) * 1e-15


def test_undefined_ratio_is_none_and_nan_money_is_zero() -> None:
    assert pr.ratio(float("nan")) is None and pr.ratio(None) is None
    assert pr.ratio(float("inf")) is None
    assert pr.money(float("nan")) == Decimal("0.00")
    assert pr.money(0.125) == Decimal("0.13")


def test_empty_book_gives_zeros(database: Database) -> None:
    with database.uow() as uow:
        uow.session.add(BranchRow(code="B01", name_zh="城关信用社", name_en="B01", kind="town",
                                  township="城关镇"))
        uow.commit()
    with database.uow() as uow:
        create_user(uow, actor="test", username="risk", full_name="测试", password=PASSWORD,
                    role="risk_manager", branch_code=None)
        uow.commit()
    user = _user(database, "risk")
    with database.uow() as uow:
        r = pr.portfolio_risk(uow, user)
        s = pr.stress_test(uow, user)
        d = pr.dashboard(uow, user)
    assert r["totals"]["loans"] == 0 and r["totals"]["balance"] == Decimal("0.00")
    assert _indicator(r, "npl_ratio")["value"] is None
    assert r["breakdown"] == []
    assert s["baseline"]["loans"] == 0 and s["baseline"]["share_ltv_over_100"] is None
    assert d["vintages"]["vintages"] == [] and d["migration"]["loans_from"] == 0


# --------------------------------------------------------------------------- seeded book

def _full_repayments(db: Database) -> pd.DataFrame:
    with db.uow() as uow:
        full = pd.read_sql(text("SELECT loan_id, due_date, amount_due, amount_paid, paid_date "
                                "FROM repayments"), uow.session.connection())
    for c in ("due_date", "paid_date"):
        full[c] = pd.to_datetime(full[c])
    return full


def test_reduced_repayments_give_the_engines_the_same_results(
        seeded_database: Database) -> None:
    with seeded_database.uow() as uow:
        q = RiskQueries(uow.session)
        reduced = q.repayment_events(AS_OF)
        loans = q.originations(AS_OF)
    full = _full_repayments(seeded_database)
    assert len(reduced) < len(full)
    for when in (date(2024, 3, 31), date(2025, 6, 30), AS_OF):
        pd.testing.assert_series_equal(pf.dpd_at(full, when).sort_index(),
                                       pf.dpd_at(reduced, when).sort_index())
    pd.testing.assert_frame_equal(pf.roll_rates(full, as_of=AS_OF, policy=POLICY),
                                  pf.roll_rates(reduced, as_of=AS_OF, policy=POLICY))
    for metric in ("default", "dpd30"):
        pd.testing.assert_frame_equal(
            pf.vintage_curves(loans, full, as_of=AS_OF, policy=POLICY, metric=metric),
            pf.vintage_curves(loans, reduced, as_of=AS_OF, policy=POLICY, metric=metric))


def test_seeded_book_dashboard_is_consistent(seeded_database: Database) -> None:
    with seeded_database.uow() as uow:
        risk = load_user(uow, uow.users.by_username("risk").id)  # type: ignore[union-attr]
        officer = load_user(uow, uow.users.by_username("officer1").id)  # type: ignore[union-attr]
        assert risk is not None and officer is not None
        d = pr.dashboard(uow, risk, group_by="township")
        mine = pr.portfolio_risk(uow, officer)
        rolls = pr.roll_rates(uow, risk, months=6)
    r, m = d["risk"], d["migration"]
    overview_loans = int(pd.Series([x["loans"] for x in r["breakdown"]]).sum())
    assert overview_loans == r["totals"]["loans"] > 0
    assert 0 < mine["totals"]["loans"] < r["totals"]["loans"]
    assert m["source"] == "computed"
    assert sum(x["loans"] for x in m["rows"]) == m["loans_from"]
    assert sum(sum(v for k, v in x["counts"].items() if k != "closed")
               for x in m["rows"]) == m["loans_both"]
    for row in [*m["rows"], *rolls["rows"]]:
        if row["loans"]:
            assert abs(sum(v for v in row["shares"].values() if v is not None) - 1) < \
                Decimal("0.00001")
    # the computed matrix equals the engine on the full repayment history
    full = _full_repayments(seeded_database)
    before = pr._dpd_classes(full, m["from"], POLICY, until=m["to"])
    after = pr._dpd_classes(full, m["to"], POLICY, until=m["to"])
    counts = pf.migration_matrix(before, after, shares=False)
    assert {r_["from"]: r_["counts"] for r_ in m["rows"]} == {
        str(k): {str(c): int(v) for c, v in row.items()} for k, row in counts.iterrows()}
    for v in d["vintages"]["vintages"]:
        rates = [float(x) for x in v["rate"] if x is not None]
        assert rates == sorted(rates)  # cumulative curves never fall


def test_the_dashboard_is_kept_until_the_next_write(hand_sqlite: HandBook,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[int] = []

    def load_book(uow: Any, user: Any, *, as_of: Any = None) -> Any:
        loads.append(1)
        return object()

    monkeypatch.setattr(pr, "load_book", load_book)
    for name in ("portfolio_risk", "migration", "vintages", "roll_rates"):
        monkeypatch.setattr(pr, name, lambda uow, user, *, book, n=name, **kw: {"part": n,
                                                                              "loads": len(loads)})
    pr._DASHBOARDS.clear()
    db, risk = hand_sqlite.db, hand_sqlite.users["risk"]
    with db.uow() as uow:
        first = pr.dashboard(uow, risk)
        first["risk"]["part"] = "changed by the caller"  # the cache keeps its own copy
        assert pr.dashboard(uow, risk)["risk"]["part"] == "portfolio_risk"
        pr.dashboard(uow, risk, group_by="township")  # another argument: computed again
    assert len(loads) == 2
    with db.uow() as uow:
        uow.audit.record(actor="test", action="touch", entity="loan", entity_id=1)
        uow.commit()
    with db.uow() as uow:
        pr.dashboard(uow, risk)
    assert len(loads) == 3  # a write moves the audit head: the page is computed afresh
    pr._DASHBOARDS.clear()
