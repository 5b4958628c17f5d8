"""The /risk and /risk/stress pages: login, Chinese first then English, figures equal the
service, accessible tables, local charts, group-by switch, stress form and its errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mortgage_risk.config import Settings
from mortgage_risk.services import portfolio_risk
from mortgage_risk.services.demo import DEMO_PASSWORD
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.web import create_app


def _settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-for-risk-pages")


def _page_login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                         "csrf_token": match.group(1)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text


@pytest.fixture
def browser(seeded_database: Database, tmp_path: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def login(username: str) -> TestClient:
        client = TestClient(create_app(_settings(tmp_path), seeded_database))
        client.__enter__()
        clients.append(client)
        _page_login(client, username)
        return client

    yield login
    for c in clients:
        c.__exit__(None, None, None)


def _user(db: Database, username: str) -> CurrentUser:
    with db.uow() as uow:
        row = uow.users.by_username(username)
        assert row is not None
        user = load_user(uow, row.id)
        assert user is not None
        return user


def _yuan(value: Decimal) -> str:
    return "¥" + f"{value.quantize(Decimal(1)):,}"


def _chart_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="risk-chart-data">(.*?)</script>',
                      html, re.DOTALL)
    assert match, "no chart data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_pages_need_a_login(seeded_database: Database, tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path), seeded_database)) as client:
        for path in ("/risk", "/risk/stress"):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login")


def test_risk_page_in_chinese_with_the_service_figures(browser: Any,
                                                       seeded_database: Database) -> None:
    client = browser("risk")
    page = client.get("/risk")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="zh-CN">' in html
    for words in ("组合风险", "不良贷款率", "拨备覆盖率", "贷款拨备率",
                  "逾期90天以上贷款与不良贷款比例", "按五级分类计提的准备", "按阶段的预期信用损失",
                  "一般准备", "集中度与限额",
                  "房地产贷款", "个人住房贷款", "迁徙矩阵", "滚动率", "按信用社分析", "全部信用社",
                  "正常", "关注", "次级", "可疑", "损失", "第3阶段", "压力测试"):
        assert words in html, words
    with seeded_database.uow() as uow:
        r = portfolio_risk.portfolio_risk(uow, _user(seeded_database, "risk"))
    t = r["totals"]
    for key in ("balance", "npl_balance", "provision", "general_reserve"):
        assert _yuan(t[key]) in html, key
    for c in r["provisions"]["by_category"]:
        assert _yuan(c["specific_provision"]) in html
    # one breach mark per indicator card outside its limit
    breaches = sum(1 for i in r["indicators"] if i["breach"])
    assert html.count('<div class="card breach">') == breaches
    assert html.count("✖ 超出监管要求") == breaches
    # accessible tables
    assert html.count("<caption>") >= 6
    assert '<th scope="col">' in html and '<th scope="row">' in html
    # the charts: local Plotly, no inline script, data for every chart on the page
    assert "/static/vendor/plotly.min.js" in html and "/static/risk.js" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html
    charts = _chart_data(html)
    for key in ("breakdown", "migration", "vintages", "roll_rates"):
        assert f'id="chart-{key}"' in html
    assert charts["migration"]["kind"] == "heatmap"
    assert len(charts["migration"]["z"]) == 5 and len(charts["migration"]["x"]) == 6
    assert charts["vintages"]["traces"] and charts["roll_rates"]["kind"] == "heatmap"
    assert client.get("/static/risk.js").status_code == 200


def test_group_by_switch(browser: Any, seeded_database: Database) -> None:
    client = browser("risk")
    with seeded_database.uow() as uow:
        r = portfolio_risk.portfolio_risk(uow, _user(seeded_database, "risk"),
                                          group_by="township")
    html = client.get("/risk", params={"group_by": "township"}).text
    assert '<option value="township" selected>' in html
    assert "按乡镇分析" in html
    for g in r["breakdown"]:
        assert f'<th scope="row">{g["label_zh"]}</th>' in html
    assert _chart_data(html)["breakdown"]["traces"][0]["x"] == [g["label_zh"]
                                                                 for g in r["breakdown"]]
    by_type = client.get("/risk", params={"group_by": "property_type"}).text
    assert "城镇商品住房" in by_type and "按抵押物类型分析" in by_type
    unknown = client.get("/risk", params={"group_by": "nonsense"})
    assert unknown.status_code == 200 and '<option value="branch" selected>' in unknown.text


def test_risk_page_in_english(browser: Any) -> None:
    client = browser("risk")
    client.get("/lang/en")
    html = client.get("/risk").text
    assert '<html lang="en">' in html
    for words in ("Portfolio risk", "NPL ratio", "Provision coverage", "Loan provision ratio",
                  "Migration matrix", "Breakdown by branch", "special mention", "Stage 3"):
        assert words in html, words
    assert "组合风险" not in html


def test_officer_sees_their_branch_and_trainer_is_refused(browser: Any,
                                                          seeded_database: Database) -> None:
    html = browser("officer1").get("/risk").text
    with seeded_database.uow() as uow:
        mine = portfolio_risk.portfolio_risk(uow, _user(seeded_database, "officer1"))
    assert mine["scope"]["name_zh"] in html and "全部信用社" not in html
    assert f'{mine["totals"]["loans"]:,}' in html
    assert html.count('<th scope="row">' + mine["scope"]["name_zh"]) == 1
    refused = browser("trainer").get("/risk")
    assert refused.status_code == 403 and 'role="alert"' in refused.text
    assert browser("trainer").get("/risk/stress").status_code == 403


def test_stress_page_presets_path_and_errors(browser: Any) -> None:
    client = browser("risk")
    default = client.get("/risk/stress")
    assert default.status_code == 200
    for words in ("压力测试", "基准（无冲击）", "轻度", "中度", "重度", "各情景结果",
                  "冲击后不良贷款率"):
        assert words in default.text, words
    presets = client.get("/risk/stress", params=[("mode", "presets"), ("presets", "-10"),
                                                ("presets", "-30"), ("pd_multiplier", "1.5")])
    assert presets.status_code == 200
    assert "-10% x1.5" in presets.text and "-30% x1.5" in presets.text
    assert "-20% x1.5" not in presets.text
    charts = _chart_data(presets.text)
    assert len(charts["losses"]["traces"][0]["y"]) == 3  # baseline and two shocks
    path = client.get("/risk/stress", params={"mode": "path", "path": "-2, -3，-3 -2",
                                              "pd_multiplier": "2"})
    assert path.status_code == 200 and "path x2" in path.text
    too_big = client.get("/risk/stress", params={"mode": "custom", "custom_shock": "-150"})
    assert too_big.status_code == 422
    assert "每个变动须在-100到+100（百分比）之间" in too_big.text
    assert 'aria-invalid="true"' in too_big.text and "risk-chart-data" not in too_big.text
    not_number = client.get("/risk/stress", params={"mode": "path", "path": "-2, x"})
    assert not_number.status_code == 422 and "不是数字" in not_number.text
    bad_multiplier = client.get("/risk/stress", params={"mode": "presets",
                                                        "pd_multiplier": "-1"})
    assert bad_multiplier.status_code == 422 and "须为0到100之间的数字" in bad_multiplier.text


def test_every_risk_message_has_a_chinese_translation() -> None:
    """Also the messages with parameters, which the project-wide check does not see."""
    from babel.messages.pofile import read_po

    import mortgage_risk.web as web_package

    web = Path(web_package.__file__).parent
    used: set[str] = set()
    pattern = re.compile(r"""(?:\b_|gettext)\(\s*("(?:[^"\\]|\\.)*"|'[^']*')""")
    for path in [*web.glob("templates/risk*.html"), web / "pages_risk.py"]:
        used |= {lit[1:-1] for lit in pattern.findall(path.read_text(encoding="utf-8"))}
    assert "Portfolio risk" in used and "Stage %(n)s" in used
    translated: dict[str, str] = {}
    for po_path in (web / "translations/zh_CN/LC_MESSAGES").glob("*.po"):
        with po_path.open("rb") as po:
            translated |= {m.id: m.string for m in read_po(po) if m.id and m.string}
    assert used <= set(translated), used - set(translated)
    placeholders = re.compile(r"%\(\w+\)s|%%")
    for msgid in used:  # the same placeholders in the translation
        assert sorted(placeholders.findall(msgid)) == sorted(
            placeholders.findall(translated[msgid])), msgid
    with (web / "translations/en/LC_MESSAGES/risk.po").open("rb") as po:
        english = {m.id for m in read_po(po) if m.id}
    with (web / "translations/zh_CN/LC_MESSAGES/risk.po").open("rb") as po:
        chinese = {m.id for m in read_po(po) if m.id}
    assert english == chinese
