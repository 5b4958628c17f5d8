"""Training pages: for every staff member, their sets, taking a set, the graded result with the
engines' explanations, and their progress and certifications; for trainers, building a set
(with a preview of the cases) and the staff's progress and certifications.

Every action goes through services/training.py; a refused one re-renders its page with the
field and the reason beside the form and nothing written; a done one redirects with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from mortgage_risk.domain import FiveCategory, Role
from mortgage_risk.monitoring.handling import LEVELS
from mortgage_risk.services import training
from mortgage_risk.services.errors import InvalidInput, PermissionDenied, ServiceError
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web.deps import CurrentUserDep, Locale, TranslationsDep, UowDep
from mortgage_risk.web.pages import render
from mortgage_risk.web.pages_origination import _pop_flash
from mortgage_risk.web.security import check_csrf

router = APIRouter(include_in_schema=False)
FLASH_KEY = "flash"
Errors = list[tuple[str | None, str]]


def labels(_: Callable[[str], str]) -> dict[str, dict[str, str]]:
    return {
        "type": {"flags": _("Risk flags"), "valuation": _("Collateral valuation"),
                 "classification": _("Five-category classification"),
                 "warning_handling": _("Warning handling")},
        "difficulty": {"easy": _("Easy"), "medium": _("Medium"), "hard": _("Hard")},
        "level": {"blue": _("Blue"), "yellow": _("Yellow"), "orange": _("Orange"),
                  "red": _("Red")},
        "action": {"submit_valuation": _("Submit a valuation"),
                   "verify_warning": _("Verify a warning")},
        "field": {"newness_rate": _("Newness rate (fraction, e.g. 0.7817)"),
                  "land_value": _("Land value (CNY)"),
                  "mortgage_value": _("Mortgage value (CNY)"),
                  "level": _("Level to confirm"), "measures": _("Measures"),
                  "verification_deadline": _("Verification deadline"),
                  "verification_deadline_hint": _("blank: no deadline")},
    }


#: Labels of the fields in the cases' material and reference tables (Chinese, English).
MATERIAL_KEYS: dict[str, tuple[str, str]] = {
    "property_type": ("物业类型", "property type"), "land_nature": ("土地性质", "land nature"),
    "floor_area": ("建筑面积（㎡）", "floor area (m²)"),
    "land_area": ("土地面积（㎡）", "land area (m²)"), "structure": ("结构", "structure"),
    "storeys": ("层数", "storeys"), "build_year": ("建成年份", "year built"),
    "land_term_remaining": ("土地剩余年限", "land term remaining (years)"),
    "township": ("乡镇", "township"), "seized": ("已查封", "seized"),
    "small_property_rights": ("小产权房", "small property rights"),
    "illegal_building": ("违法建筑", "illegal building"),
    "land_grade": ("基准地价级别", "benchmark land grade"),
    "land_factor_levels": ("土地因素修正", "land factor levels"),
    "finish": ("装修", "finish"), "services": ("设备", "services"),
    "kind": ("类别", "kind"), "amount": ("金额（元）", "amount (CNY)"),
    "loan_id": ("贷款", "loan"), "ref": ("贷款", "loan"), "loan": ("贷款", "loan"),
    "borrower_id": ("借款人", "borrower"), "days_past_due": ("逾期天数", "days past due"),
    "status": ("状态", "status"), "overdue_amount": ("逾期金额", "overdue amount"),
    "outstanding_principal": ("本金余额", "outstanding principal"),
    "principal": ("贷款本金", "principal"), "annual_rate": ("年利率", "annual rate"),
    "term_months": ("期限（月）", "term (months)"),
    "repayment_method": ("还款方式", "repayment method"),
    "origination_date": ("发放日", "originated"), "maturity_date": ("到期日", "matures"),
    "segment": ("客户类别", "segment"), "segment_zh": ("客户类别", "segment"),
    "property_type_zh": ("物业类型", "property type"),
    "previous_category": ("上期分类", "previous class"),
    "previous_category_zh": ("上期分类", "previous class"),
    "five_category": ("五级分类", "class"), "period_no": ("期次", "period"),
    "due_date": ("应还日", "due"), "amount_due": ("应还金额", "amount due"),
    "amount_paid": ("实还金额", "amount paid"), "paid_date": ("实还日", "paid on"),
    "event_type": ("事件", "event"), "event_date": ("日期", "date"), "date": ("日期", "date"),
    "zh": ("说明", "description"), "en": ("说明", "description"),
    "name": ("姓名", "name"), "address": ("地址", "address"),
    "household_income": ("家庭年收入", "household income"),
    "dependants": ("供养人口", "dependants"),
    "other_monthly_debt": ("其他债务月还款", "other monthly debt"),
    "bureau_overdue_accounts": ("征信逾期账户数", "overdue accounts (bureau)"),
    "bureau_max_dpd_24m": ("近24个月最长逾期天数", "longest DPD, 24 months"),
    "bureau_hard_inquiries_3m": ("近3个月审批查询次数", "hard inquiries, 3 months"),
    "bureau_npl_elsewhere": ("他行不良", "NPL elsewhere"),
    "match": ("匹配方式", "matched by"), "detail": ("详情", "detail"),
    "indicator_id": ("指标", "indicator"), "family": ("类别", "family"),
    "scope": ("范围", "scope"), "value": ("值", "value"), "confidence": ("置信度", "confidence"),
    "name_zh": ("指标名称", "indicator name"), "name_en": ("指标名称", "indicator name"),
    "direction": ("方向", "direction"), "thresholds": ("阈值", "thresholds"),
    "blue": ("蓝色", "blue"), "yellow": ("黄色", "yellow"), "orange": ("橙色", "orange"),
    "red": ("红色", "red"), "level": ("等级", "level"),
    "verify_within_working_days": ("核实期限（工作日）", "verify within (working days)"),
    "message_zh": ("规则说明", "rule"), "message_en": ("规则说明", "rule"),
}


def _flash(request: Request, message: str) -> None:
    request.session[FLASH_KEY] = message


def _can_build(user: CurrentUser) -> bool:
    return user.role in training.BUILDERS


def _can_see_staff(user: CurrentUser) -> bool:
    return user.role in training.STAFF_VIEWERS


def _role_label(role: str, locale: str) -> str:
    try:
        return Role(role).label(locale)
    except ValueError:
        return role


def _common(user: CurrentUser, translations: Any, locale: str) -> dict[str, Any]:
    chinese = locale.startswith("zh")
    return {"user": user, "labels": labels(translations.gettext),
            "can_build": _can_build(user), "can_see_staff": _can_see_staff(user),
            "key_labels": {k: zh if chinese else en for k, (zh, en) in MATERIAL_KEYS.items()},
            "other_lang": "en" if chinese else "zh"}


# --------------------------------------------------------------------------- trainees


@router.get("/training", response_class=HTMLResponse)
def home(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
         translations: TranslationsDep) -> Response:
    return render(request, "training.html", {
        **_common(user, translations, locale), "sets": training.list_sets(uow, user),
        "progress": training.progress(uow, user), "topics": training.topics(uow),
        "flash": _pop_flash(request),
    }, locale)


def _set_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
              translations: Any, set_id: int, errors: Errors | None = None,
              values: dict[str, list[str]] | None = None) -> Response:
    view = training.get_set_for_trainee(uow, user, set_id)
    top = [(f, r) for f, r in errors or [] if not (f or "").startswith("answers[")]
    return render(request, "training_set.html", {
        **_common(user, translations, locale), "s": view["set"], "questions": view["questions"],
        "start": view["start"], "attempts": view["attempts"], "unlocks": view["unlocks"],
        "questions_hidden": view["questions_hidden"],
        "versions": view["versions"], "errors": errors or [], "top_errors": top,
        "values": values or {}, "levels": LEVELS,
        "categories": [(c.value, c.label(locale)) for c in FiveCategory],
        "flash": _pop_flash(request),
    }, locale, status_code=422 if errors else 200)


@router.get("/training/sets/{set_id}", response_class=HTMLResponse)
def set_page(set_id: int, request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
             translations: TranslationsDep) -> Response:
    return _set_page(request, uow, user, locale, translations, set_id)


@router.post("/training/sets/{set_id}/start", response_class=HTMLResponse)
async def start(set_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                locale: Locale, translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    try:
        started = training.start_attempt(uow, user, set_id)
    except ServiceError as exc:
        uow.rollback()
        return _set_page(request, uow, user, locale, translations, set_id,
                         [(exc.field, exc.reason)])
    _ = translations.gettext
    _flash(request, _("Attempt resumed.") if started["resumed"] else _("Attempt started."))
    return RedirectResponse(f"/training/sets/{set_id}#questions", status_code=303)


def _texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str)]


def _text(form: FormData, name: str) -> str:
    found = _texts(form, name)
    return found[-1] if found else ""


def answers_from_form(form: FormData, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The answers of the set's form, case by case, in each exercise's answer form.

    Fields are named ``a:<case id>:<field>`` (classification: ``a:<case id>:categories:<loan>``).
    A case whose fields are all blank is left unanswered (it scores 0); a flags case is always
    answered (ticking nothing says that no rule fires). Blank fields of an answered case are
    sent as null, so the service names them.
    """
    out: dict[str, Any] = {}
    for q in cases:
        cid, kind = str(q["case_id"]), str(q["type"])
        key = f"a:{cid}:"
        if kind == "flags":
            out[cid] = {"rule_ids": _texts(form, key + "rule_ids")}
        elif kind == "valuation":
            raw = {f: _text(form, key + f) for f in ("newness_rate", "land_value",
                                                      "mortgage_value")}
            if any(raw.values()):
                out[cid] = {f: v or None for f, v in raw.items()}
        elif kind == "classification":
            loans = [str(ref) for ref in q["loans"]]
            chosen = {ref: _text(form, f"{key}categories:{ref}") for ref in loans}
            if any(chosen.values()):
                out[cid] = {"categories": {ref: v for ref, v in chosen.items() if v}}
        else:
            level = _text(form, key + "level")
            measures = _texts(form, key + "measures")
            due = _text(form, key + "verification_deadline")
            if level or measures or due:
                out[cid] = {"level": level or None, "measures": measures,
                            "verification_deadline": due or None}
    return out


@router.post("/training/sets/{set_id}/attempts", response_class=HTMLResponse)
async def submit(set_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                 locale: Locale, translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    values: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if name != "csrf_token" and isinstance(value, str):
            values.setdefault(name, []).append(value)
    try:
        forms = training.answer_forms(uow, user, set_id)
        result = training.submit_attempt(uow, user, set_id, answers_from_form(form, forms))
    except ServiceError as exc:
        uow.rollback()
        return _set_page(request, uow, user, locale, translations, set_id,
                         [(exc.field, exc.reason)], values)
    _flash(request, translations.gettext("Attempt graded."))
    return RedirectResponse(f"/training/attempts/{result['id']}", status_code=303)


@router.get("/training/attempts/{attempt_id}", response_class=HTMLResponse)
def attempt_page(attempt_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                 locale: Locale, translations: TranslationsDep) -> Response:
    return render(request, "training_result.html", {
        **_common(user, translations, locale), "a": training.attempt_result(uow, user, attempt_id),
        "flash": _pop_flash(request),
    }, locale)


# --------------------------------------------------------------------------- trainers


def _manage_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
                 translations: Any, form: dict[str, str], chosen: list[str] | None = None,
                 errors: Errors | None = None) -> Response:
    preview = None
    preview_errors: Errors = []
    if form.get("preview"):
        try:
            preview = training.preview_cases(uow, user, topic=form.get("topic", ""),
                                             seed=_int(form.get("seed", ""), "seed"),
                                             size=_int(form.get("size", ""), "size"))
        except ServiceError as exc:
            preview_errors = [(exc.field, exc.reason)]
    sets = training.list_sets(uow, user, include_retired=True)
    return render(request, "training_manage.html", {
        **_common(user, translations, locale), "sets": sets, "topics": training.topics(uow),
        "f": form, "preview": preview,
        "chosen": chosen, "errors": list(dict.fromkeys((errors or []) + preview_errors)),
        "limits": {"size": training.MAX_LIBRARY_SIZE, "seed": training.MAX_SEED},
        "flash": _pop_flash(request),
    }, locale, status_code=422 if errors or preview_errors else 200)


def _int(raw: str, field: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise InvalidInput(f"must be a whole number; got {raw!r}", field=field) \
            from None


def _require_builder(user: CurrentUser) -> None:
    if not _can_build(user):
        raise PermissionDenied("only trainers and administrators build exercise sets",
                                        field="role")


@router.get("/training/manage", response_class=HTMLResponse)
def manage(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
           translations: TranslationsDep, topic: str = "valuation", seed: str = "1",
           size: str = "5", name: str = "", pass_mark: str = "", time_limit: str = "",
           preview: str = "") -> Response:
    _require_builder(user)
    form = {"topic": topic, "seed": seed, "size": size, "name": name, "pass_mark": pass_mark,
            "time_limit": time_limit, "preview": preview}
    return _manage_page(request, uow, user, locale, translations, form)


def _optional_number(raw: str, field: str, kind: Callable[[str], Any]) -> Any:
    if not raw.strip():
        return None
    try:
        return kind(raw.strip())
    except ValueError:
        raise InvalidInput(f"must be a number; got {raw!r}", field=field) from None


@router.post("/training/manage/sets", response_class=HTMLResponse)
async def create(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                 translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    _require_builder(user)
    fields = {k: _text(form, k) for k in ("name", "topic", "seed", "size", "pass_mark",
                                          "time_limit", "preview")}
    chosen = _texts(form, "case_ids")
    try:
        size = _int(fields["size"], "size")
        result = training.create_set(
            uow, user, name=fields["name"], topic=fields["topic"],
            seed=_int(fields["seed"], "seed"), size=size,
            n=None if chosen else size, case_ids=chosen or None,
            pass_mark=_optional_number(fields["pass_mark"], "pass_mark", float),
            time_limit=_optional_number(fields["time_limit"], "time_limit", int))
    except ServiceError as exc:
        uow.rollback()
        return _manage_page(request, uow, user, locale, translations, fields, chosen,
                            [(exc.field, exc.reason)])
    _flash(request, translations.gettext("Exercise set created."))
    return RedirectResponse(f"/training/manage#set-{result['id']}", status_code=303)


@router.post("/training/manage/preview", response_class=HTMLResponse)
async def preview(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                  translations: TranslationsDep) -> Response:
    """The form's cases (nothing is written): a post, so the form's token stays out of URLs."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    _require_builder(user)
    fields = {k: _text(form, k) for k in ("name", "topic", "seed", "size", "pass_mark",
                                          "time_limit")}
    return _manage_page(request, uow, user, locale, translations, {**fields, "preview": "1"})


@router.post("/training/manage/sets/{set_id}/active", response_class=HTMLResponse)
async def toggle(set_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                 locale: Locale, translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    active = _text(form, "active") == "yes"
    try:
        training.set_active(uow, user, set_id, active)
    except ServiceError as exc:
        uow.rollback()
        return _manage_page(request, uow, user, locale, translations,
                            {"topic": "valuation", "seed": "1", "size": "5"}, None,
                            [(exc.field, exc.reason)])
    _ = translations.gettext
    _flash(request, _("Set brought back.") if active else _("Set retired."))
    return RedirectResponse("/training/manage", status_code=303)


@router.get("/training/staff", response_class=HTMLResponse)
def staff(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
          translations: TranslationsDep) -> Response:
    overview = training.staff_overview(uow, user)
    for member in overview["staff"]:
        member["role_label"] = _role_label(member["role"], locale)
    return render(request, "training_staff.html", {
        **_common(user, translations, locale), "o": overview, "flash": _pop_flash(request),
    }, locale)


@router.get("/training/staff/{username}", response_class=HTMLResponse)
def staff_member(username: str, request: Request, uow: UowDep, user: CurrentUserDep,
                 locale: Locale, translations: TranslationsDep) -> Response:
    progress = training.progress(uow, user, username)
    return render(request, "training_member.html", {
        **_common(user, translations, locale), "p": progress,
        "role_label_text": _role_label(progress["role"], locale),
        "flash": _pop_flash(request),
    }, locale)
