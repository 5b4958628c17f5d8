"""The origination path in a real browser: a loan officer files an application through the
new-application form, submits it, records the on-site visit and assesses it; the reviewer reviews
it; an approver approves; the officer signs the contract; the disbursement is refused before the
mortgage is registered (the page says why) and goes through after. Every form on the way is
checked for labels, and a refused form keeps the input with the message beside the field."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from mortgage_risk.control.enums import Recommendation
from mortgage_risk.storage.tables import LoanRow
from tests.browser.conftest import Live, LoginAs, Shot
from tests.browser.support import control_count, unlabelled

CERTIFICATE = "桂(2026)县不动产证明第0004321号"
LEVELS = ["branch_officer", "branch_head", "credit_committee"]


def _fill_new_application(page: Page, live: Live, **overrides: str) -> None:
    values = {"borrower_resident_id": live.borrower_id, "property_id": str(live.property_id),
              "amount": "300000", "term_months": "240", "purpose": "购房",
              "purchase_price": "600000"}
    values.update(overrides)
    for name, value in values.items():
        page.locator(f"#{name}").fill(value)
    page.locator("#repayment_method").select_option("equal_installment")
    page.locator("#first_home").select_option("yes")
    page.locator("#co_owner_consent").check()


def _submit(page: Page, action: str) -> None:
    """Press the submit button of the form posting to ``action`` (a path suffix) and wait for
    the page the server answers with."""
    with page.expect_navigation():
        page.locator(f"form[action$='{action}'] button[type=submit]").click()


def _assert_labelled(page: Page, where: str) -> None:
    assert control_count(page) > 0, where
    assert unlabelled(page) == [], f"{where}: controls without a label"


def _status(live: Live, application_id: int) -> str:
    with live.db.uow() as uow:
        row = uow.origination.application(application_id)
        assert row is not None
        return str(row.status)


def _decider(live: Live, application_id: int) -> tuple[str, bool]:
    """Who holds the authority the assessment asks for, and whether approving follows it."""
    with live.db.uow() as uow:
        assessed = uow.origination.latest_assessment(application_id)
        assert assessed is not None
        level, recommendation = assessed.authority_level, assessed.recommendation
    follows = recommendation in (Recommendation.APPROVE.value,
                                 Recommendation.APPROVE_WITH_CONDITIONS.value)
    needed = LEVELS.index(level) + (0 if follows else 1)
    return ("approver1" if needed <= 1 else "risk"), follows


def test_an_application_goes_from_the_form_to_disbursement(page_as: LoginAs, live: Live,
                                                           shot: Shot) -> None:
    today = date.today().isoformat()
    officer = page_as("officer1")
    officer.goto(f"{live.url}/applications")
    officer.get_by_role("link", name="新建申请").first.click()
    expect(officer).to_have_url(f"{live.url}/applications/new")
    expect(officer.get_by_role("heading", level=1)).to_have_text("新建申请")
    _assert_labelled(officer, "/applications/new")
    _fill_new_application(officer, live)
    shot(officer, "new-application")
    _submit(officer, "/applications/new")
    match = re.fullmatch(rf"{re.escape(live.url)}/applications/(\d+)", officer.url)
    assert match, officer.url
    app_id = int(match.group(1))
    base = f"/applications/{app_id}"
    expect(officer.locator(".flash")).to_contain_text("已创建（草稿）")
    expect(officer.locator("h1 .status")).to_have_text("草稿")
    shot(officer, "file-draft")

    _submit(officer, f"{base}/submit")
    expect(officer.locator("h1 .status")).to_have_text("已提交")
    _assert_labelled(officer, f"{base} (visit form)")
    visit = officer.locator(f"form[action='{base}/visit']")
    expect(visit.locator("#visit-visited_on")).to_have_value(today)
    visit.locator("#visit-occupancy").select_option("owner")
    visit.locator("#visit-collateral_condition").select_option("basically_intact")
    visit.locator("#visit-income_verified").check()
    visit.locator("#visit-findings").fill("借款人自住，房屋结构完好，工资流水与申报一致。")
    visit.locator("#visit-evidence").fill("IMG_0001.jpg\nIMG_0002.jpg\n收入证明-2026-07.pdf")
    for part, score in (("structure", "80"), ("finish", "70"), ("services", "72")):
        visit.locator(f"#visit-observed_{part}").fill(score)
    shot(officer, "visit-form")
    _submit(officer, f"{base}/visit")
    expect(officer.locator("h1 .status")).to_have_text("已调查")
    expect(officer.get_by_text("IMG_0002.jpg")).to_be_visible()

    _assert_labelled(officer, f"{base} (assess form)")
    officer.locator("#assess-explanation").fill("县城商品住宅交易活跃，以比较法价值为准。")
    _submit(officer, f"{base}/assess")
    expect(officer.locator("h1 .status")).to_have_text("已评估")
    for words in ("评估结果", "违约概率（PD）", "贷款价值比（LTV）", "最高贷款额度", "风险定价"):
        expect(officer.get_by_text(words, exact=False).first).to_be_visible()
    shot(officer, "file-assessed")

    reviewer = page_as("reviewer1")
    reviewer.goto(f"{live.url}/applications")  # opens on the review queue
    reviewer.locator(f"a[href='{base}']").first.click()
    expect(reviewer).to_have_url(f"{live.url}{base}")
    expect(reviewer.get_by_text(live.borrower_id)).to_have_count(0)  # masked for the reviewer
    _assert_labelled(reviewer, f"{base} (review form)")
    review = reviewer.locator(f"form[action='{base}/review']")
    review.locator("input[name=decision][value=agree]").check()
    review.locator("#review-note").fill("资料齐全，同意提交审批。")
    shot(reviewer, "review-form")
    _submit(reviewer, f"{base}/review")
    expect(reviewer.locator("h1 .status")).to_have_text("已审查")

    who, follows = _decider(live, app_id)
    approver = page_as(who)
    approver.goto(f"{live.url}{base}")
    _assert_labelled(approver, f"{base} (decision form)")
    decide = approver.locator(f"form[action='{base}/decide']")
    expect(decide.locator(".callout")).to_contain_text("人工推翻")
    decide.locator("input[name=decision][value=approve]").check()
    decide.locator("#decide-amount").fill("")
    if not follows:
        decide.locator("#decide-reasons").fill("借款人收入稳定，抵押物变现能力强，同意推翻。")
    shot(approver, "decision-form")
    _submit(approver, f"{base}/decide")
    expect(approver.locator("h1 .status")).to_have_text("已批准")

    officer.goto(f"{live.url}{base}")
    _assert_labelled(officer, f"{base} (contract form)")
    expect(officer.locator("#contract-signed_on")).to_have_value(today)
    _submit(officer, f"{base}/contract")
    expect(officer.locator("h1 .status")).to_have_text("已签合同")

    # No disbursement form before the registration; a disbursement sent anyway (a stale tab, a
    # crafted post) is refused on the page with the reason, and nothing changes.
    expect(officer.locator(f"form[action='{base}/disburse']")).to_have_count(0)
    with live.db.uow() as uow:
        loans = uow.session.query(LoanRow).count()
    officer.evaluate("""([action, on]) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = action;
        const token = document.querySelector('input[name=csrf_token]').cloneNode();
        const date = Object.assign(document.createElement('input'),
                                   {type: 'hidden', name: 'on', value: on});
        form.append(token, date);
        document.body.append(form);
        form.submit();
    }""", [f"{base}/disburse", today])
    officer.wait_for_url(f"{live.url}{base}/disburse")
    alert = officer.locator("#form-error")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("未办理，未保存任何内容")
    expect(alert).to_contain_text("cannot disburse: the application is contract_signed (已签合同)")
    expect(officer.locator("h1 .status")).to_have_text("已签合同")
    shot(officer, "disbursement-refused")
    assert _status(live, app_id) == "contract_signed"
    with live.db.uow() as uow:
        assert uow.session.query(LoanRow).count() == loans

    officer.goto(f"{live.url}{base}")
    _assert_labelled(officer, f"{base} (registration form)")
    registration = officer.locator(f"form[action='{base}/registration']")
    registration.locator("#registration-certificate_no").fill(CERTIFICATE)
    expect(registration.locator("#registration-registry_office")).to_have_value("县不动产登记中心")
    _submit(officer, f"{base}/registration")
    expect(officer.locator("h1 .status")).to_have_text("已办抵押登记")

    _assert_labelled(officer, f"{base} (disbursement form)")
    expect(officer.locator("#disburse-on")).to_have_value(today)
    _submit(officer, f"{base}/disburse")
    expect(officer.locator("h1 .status")).to_have_text("已放款")
    expect(officer.get_by_text("该申请的流程已结束")).to_be_visible()
    expect(officer.locator("dd", has_text=CERTIFICATE)).to_be_visible()
    shot(officer, "file-disbursed")
    assert _status(live, app_id) == "disbursed"
    with live.db.uow() as uow:
        assert uow.session.query(LoanRow).count() == loans + 1


def test_a_refused_form_keeps_the_input_with_the_message_beside_the_field(
        page_as: LoginAs, live: Live, shot: Shot) -> None:
    officer = page_as("officer1")
    officer.goto(f"{live.url}/applications/new")

    # The browser itself refuses a negative amount (min="0.01"): nothing is sent.
    _fill_new_application(officer, live, amount="-1")
    officer.locator("form[action='/applications/new'] button[type=submit]").click()
    expect(officer).to_have_url(f"{live.url}/applications/new")
    assert officer.locator("#amount").evaluate("el => el.validity.rangeUnderflow")
    assert officer.locator("#amount").evaluate("el => el.validationMessage") != ""

    # A resident ID of the right shape with a wrong check digit passes the browser and is
    # refused by the server: the message sits beside the field and the input stays.
    good = live.borrower_id
    bad_id = good[:-1] + ("0" if good[-1] != "0" else "1")
    _fill_new_application(officer, live, borrower_resident_id=bad_id, amount="280000")
    _submit(officer, "/applications/new")
    expect(officer.locator("#form-error")).to_contain_text("未办理，未保存任何内容")
    field = officer.locator("#borrower_resident_id")
    expect(field).to_have_value(bad_id)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "borrower_resident_id-error")
    message = officer.locator("#borrower_resident_id-error")
    expect(message).to_be_visible()
    expect(message).not_to_be_empty()
    # beside the field: in the same form field, just under the input
    assert message.evaluate("el => el.parentElement") == field.evaluate("el => el.parentElement")
    box_field, box_message = field.bounding_box(), message.bounding_box()
    assert box_field is not None and box_message is not None
    assert 0 <= box_message["y"] - (box_field["y"] + box_field["height"]) < 40
    for name, value in (("amount", "280000"), ("term_months", "240"), ("purpose", "购房"),
                        ("property_id", str(live.property_id))):
        expect(officer.locator(f"#{name}")).to_have_value(value)
    expect(officer.locator("#co_owner_consent")).to_be_checked()
    expect(officer.locator("#first_home")).to_have_value("yes")
    _assert_labelled(officer, "/applications/new (refused)")
    shot(officer, "new-application-refused")
