"""The origination pages: the application list, the new-application form and the file with the
forms for each workflow step.

Every action goes through the services, which check the role, the branch, maker-checker and the
order of the steps; a refused action re-renders the page with the field and the reason next to
the form and nothing written (the unit of work is rolled back). A successful action redirects
(303) back to the file with a one-time message kept in the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from mortgage_risk.control.enums import AuthorityLevel, Recommendation
from mortgage_risk.domain import ApplicationStatus, RepaymentMethod, Role
from mortgage_risk.domain.origination import steps_from
from mortgage_risk.domain.resident_id import mask
from mortgage_risk.identification.rules import Category
from mortgage_risk.services import assessment, origination
from mortgage_risk.services.errors import InvalidInput, NotFound, ServiceError
from mortgage_risk.services.origination import ROLE_LEVEL
from mortgage_risk.services.schemas import (
    ApplicationIn,
    ContractIn,
    DecisionIn,
    RegistrationIn,
    VisitIn,
)
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.tables import ApplicationRow, AssessmentRow
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web import session
from mortgage_risk.web.deps import CurrentUserDep, Locale, TranslationsDep, UowDep
from mortgage_risk.web.i18n import is_chinese
from mortgage_risk.web.pages import render
from mortgage_risk.web.security import check_csrf

router = APIRouter(include_in_schema=False)

FLASH_KEY = "flash"
DEFAULT_REGISTRY_OFFICE = "县不动产登记中心"

#: The queue each role works from; the list page opens on it.
ROLE_QUEUE: dict[Role, tuple[str, ...]] = {
    Role.REVIEWER: (ApplicationStatus.ASSESSED.value,),
    Role.APPROVER: (ApplicationStatus.REVIEWED.value,),
    Role.RISK_MANAGER: (ApplicationStatus.REVIEWED.value,),
}
ALL_STATUSES = tuple(s.value for s in ApplicationStatus)

#: Who carries out each step (the services check it again).
STEP_ROLES: dict[str, frozenset[Role]] = {
    "submit": frozenset({Role.LOAN_OFFICER}),
    "record_visit": frozenset({Role.LOAN_OFFICER}),
    "assess": frozenset({Role.LOAN_OFFICER, Role.REVIEWER, Role.RISK_MANAGER}),
    "review": frozenset({Role.REVIEWER}),
    "return": frozenset({Role.REVIEWER}),
    "approve": frozenset({Role.APPROVER, Role.RISK_MANAGER}),
    "decline": frozenset({Role.APPROVER, Role.RISK_MANAGER}),
    "sign_contract": frozenset({Role.LOAN_OFFICER}),
    "register_mortgage": frozenset({Role.LOAN_OFFICER}),
    "disburse": frozenset({Role.LOAN_OFFICER}),
    "withdraw": frozenset(),  # no page action yet
}

#: The form on the file page that carries out each step.
STEP_FORM = {
    "submit": "submit", "record_visit": "visit", "assess": "assess", "review": "review",
    "return": "review", "approve": "decide", "decline": "decide", "sign_contract": "contract",
    "register_mortgage": "registration", "disburse": "disburse",
}

OCCUPANCY = ("owner", "tenant", "vacant", "other")
CONDITION = ("intact", "basically_intact", "damaged", "seriously_damaged")
OBSERVED = ("structure", "finish", "services")


# --- labels -----------------------------------------------------------------------------------


def step_labels(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "submit": _("Submit application"),
        "record_visit": _("Record on-site visit"),
        "assess": _("Assess"),
        "review": _("Review"),
        "return": _("Return for rework"),
        "approve": _("Approve"),
        "decline": _("Decline"),
        "sign_contract": _("Sign contract"),
        "register_mortgage": _("Register mortgage"),
        "disburse": _("Disburse"),
        "withdraw": _("Withdraw"),
        "create": _("Create application"),
    }


def option_labels(_: Callable[[str], str]) -> dict[str, dict[str, str]]:
    return {
        "occupancy": {"owner": _("Owner-occupied"), "tenant": _("Let to a tenant"),
                      "vacant": _("Vacant"), "other": _("Other")},
        "collateral_condition": {"intact": _("Intact"),
                                 "basically_intact": _("Basically intact"),
                                 "damaged": _("Damaged"),
                                 "seriously_damaged": _("Seriously damaged")},
        "severity": {"info": _("Info"), "warn": _("Warning"), "refer": _("Refer"),
                     "reject": _("Reject")},
        "observed": {"structure": _("Structure"), "finish": _("Finish"),
                     "services": _("Services")},
    }


def field_labels(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "borrower_resident_id": _("Borrower resident ID number"),
        "property_id": _("Property ID"),
        "amount": _("Amount (yuan)"),
        "term_months": _("Term (months)"),
        "repayment_method": _("Repayment method"),
        "purpose": _("Purpose"),
        "purchase_price": _("Purchase price (yuan)"),
        "co_owner_consent": _("Co-owner consent"),
        "first_home": _("First home"),
        "visited_on": _("Visit date"),
        "occupancy": _("Occupancy"),
        "collateral_condition": _("Collateral condition"),
        "income_verified": _("Income verified"),
        "findings": _("Findings"),
        "evidence": _("Evidence"),
        "observed": _("Observed condition score"),
        "observed_structure": _("Structure"),
        "observed_finish": _("Finish"),
        "observed_services": _("Services"),
        "explanation": _("Valuation explanation"),
        "note": _("Written opinion"),
        "decision": _("Decision"),
        "reasons": _("Reasons"),
        "signed_on": _("Signing date"),
        "certificate_no": _("Certificate number"),
        "registered_on": _("Registration date"),
        "registry_office": _("Registry office"),
        "on": _("Disbursement date"),
        "status": _("Status"),
        "role": _("Role"),
        "application_id": _("Application"),
        "authority_level": _("Authority level"),
    }


# --- form state -------------------------------------------------------------------------------


@dataclass
class FormState:
    """A refused form: which one, its errors by input name, and the values entered."""

    name: str
    status: int
    errors: list[tuple[str | None, str]]
    values: dict[str, str] = field(default_factory=dict)

    @property
    def by_input(self) -> dict[str, str]:
        return {(f or "").replace(".", "_"): r for f, r in self.errors if f}


def _validation_errors(exc: ValidationError) -> list[tuple[str | None, str]]:
    """Every pydantic error as (field, reason), the way registry.first_error names them."""
    out: list[tuple[str | None, str]] = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body" and not isinstance(p, int)]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if not loc and ": " in msg:
            name, _, reason = msg.partition(": ")
            out.append((name, reason))
            continue
        name = ".".join(loc) or "input"
        out.append((name, msg.removeprefix(f"{name}: ")))
    return out


def _service_errors(exc: ServiceError) -> list[tuple[str | None, str]]:
    return [(exc.field, exc.reason)]


def _flash(request: Request, message: str) -> None:
    request.session[FLASH_KEY] = message


def _pop_flash(request: Request) -> str | None:
    message = request.session.pop(FLASH_KEY, None)
    return str(message) if message else None


def _yuan(value: Any) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _parse_bool(raw: str) -> bool | None:
    return {"yes": True, "no": False, "on": True, "true": True, "false": False}.get(
        raw.strip().lower())


def _optional(raw: str) -> str | None:
    return raw.strip() or None


def _dated(name: str, raw: str) -> dict[str, str]:
    """A date field for a schema: left out when blank, so the schema's default (today) holds."""
    return {name: raw.strip()} if raw.strip() else {}


def _redirect_to_file(application_id: int) -> RedirectResponse:
    return RedirectResponse(f"/applications/{application_id}", status_code=303)


# --- the list ---------------------------------------------------------------------------------


def _can(user: CurrentUser, step: str) -> bool:
    return user.role in STEP_ROLES.get(step, frozenset())


APPLICATIONS_PAGE = 50
APPLICATION_SORTS = ("no", "amount", "submitted_on", "status")


@router.get("/applications", response_class=HTMLResponse)
def applications_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                      translations: TranslationsDep, status: str = "", q: str = "",
                      sort: str = "", dir: str = "desc", page: int = 1) -> Response:
    _ = translations.gettext
    queue = ROLE_QUEUE.get(user.role)
    if status in ALL_STATUSES:
        statuses: tuple[str, ...] = (status,)
    elif status == "all" or queue is None:
        status, statuses = "all", ALL_STATUSES
    else:
        status, statuses = "queue", queue
    sort = sort if sort in APPLICATION_SORTS else ""
    descending = dir != "asc"
    page = max(page, 1)
    search = q.strip()[:64]
    total, rows = uow.origination.page(
        statuses, user.branch_scope(), search=search, sort=sort or "id",
        descending=descending, limit=APPLICATIONS_PAGE, offset=(page - 1) * APPLICATIONS_PAGE)
    branches = {b.id: (b.name_zh if is_chinese(locale) else b.name_en)
                for b in uow.branches.all()}
    names: dict[int, str] = {}
    for row in rows:
        if row.borrower_id not in names:
            borrower = uow.borrowers.get(row.borrower_id)
            names[row.borrower_id] = borrower.name if borrower else "—"
    steps = step_labels(_)
    items = []
    for row in rows:
        current = ApplicationStatus(row.status)
        items.append({
            "row": row, "status_label": current.label(locale),
            "borrower": names[row.borrower_id], "branch": branches.get(row.branch_id, "—"),
            "method": RepaymentMethod(row.repayment_method).label(locale),
            "next": [{"label": steps[s.value], "mine": _can(user, s.value)}
                     for s in steps_from(current) if s.value in STEP_FORM],
        })
    return render(request, "applications.html", {
        "user": user, "items": items, "status": status, "has_queue": queue is not None,
        "statuses": [(s.value, s.label(locale)) for s in ApplicationStatus],
        "queue_labels": [ApplicationStatus(s).label(locale) for s in (queue or ())],
        "can_create": user.role is Role.LOAN_OFFICER, "flash": _pop_flash(request),
        "total": total, "page": page, "pages": max(1, -(-total // APPLICATIONS_PAGE)),
        "q": search, "sort": sort, "dir": "desc" if descending else "asc",
    }, locale)


# --- a new application ------------------------------------------------------------------------

NEW_DEFAULTS = {
    "borrower_resident_id": "", "property_id": "", "amount": "", "term_months": "240",
    "repayment_method": RepaymentMethod.EQUAL_INSTALLMENT.value, "purpose": "购房",
    "purchase_price": "", "co_owner_consent": "", "first_home": "",
}


def _new_form(request: Request, user: CurrentUser, locale: str, translations: Any,
              values: dict[str, str], state: FormState | None) -> Response:
    _ = translations.gettext
    return render(request, "applications_new.html", {
        "user": user, "values": values, "state": state,
        "errors": state.by_input if state else {},
        "fields": field_labels(_),
        "methods": [(m.value, m.label(locale)) for m in RepaymentMethod],
        "can_create": user.role is Role.LOAN_OFFICER,
    }, locale, status_code=state.status if state else 200)


@router.get("/applications/new", response_class=HTMLResponse)
def new_application_page(request: Request, user: CurrentUserDep, locale: Locale,
                         translations: TranslationsDep) -> Response:
    return _new_form(request, user, locale, translations,
                     {**NEW_DEFAULTS, "form_id": session.new_form_id()}, None)


@router.post("/applications/new", response_class=HTMLResponse)
def create_application(
    request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
    translations: TranslationsDep, csrf_token: Annotated[str, Form()] = "",
    borrower_resident_id: Annotated[str, Form()] = "", property_id: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "", term_months: Annotated[str, Form()] = "",
    repayment_method: Annotated[str, Form()] = "", purpose: Annotated[str, Form()] = "",
    purchase_price: Annotated[str, Form()] = "", co_owner_consent: Annotated[str, Form()] = "",
    first_home: Annotated[str, Form()] = "", form_id: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    done = session.form_done(request, form_id)
    if done is not None:  # sent twice (a double click, a reload): the first one created it
        _flash(request, translations.gettext("This form was already sent; nothing was saved "
                                             "again."))
        return RedirectResponse(done, status_code=303)
    values = {"form_id": form_id,
        "borrower_resident_id": borrower_resident_id, "property_id": property_id,
        "amount": amount, "term_months": term_months, "repayment_method": repayment_method,
        "purpose": purpose, "purchase_price": purchase_price,
        "co_owner_consent": co_owner_consent, "first_home": first_home,
    }
    try:
        data = ApplicationIn.model_validate({
            "borrower_resident_id": borrower_resident_id, "property_id": property_id,
            "amount": amount, "term_months": term_months,
            "repayment_method": repayment_method, "purpose": purpose,
            "purchase_price": _optional(purchase_price),
            "co_owner_consent": _parse_bool(co_owner_consent) is True,
            "first_home": _parse_bool(first_home),
        })
        view = origination.create_application(uow, user, data)
    except ValidationError as exc:
        uow.rollback()
        state = FormState("new", 422, _validation_errors(exc), values)
        return _new_form(request, user, locale, translations, values, state)
    except ServiceError as exc:
        uow.rollback()
        state = FormState("new", exc.status, _service_errors(exc), values)
        return _new_form(request, user, locale, translations, values, state)
    session.mark_form_done(request, form_id, f"/applications/{view.id}")
    _flash(request, translations.gettext("Application %(no)s created as a draft.")
           % {"no": view.application_no})
    return _redirect_to_file(view.id)


# --- the file ---------------------------------------------------------------------------------


def _reason_codes(raw: Any) -> list[dict[str, Any]]:
    """Score reason codes flattened to (characteristic, bin, points short) rows."""
    out: list[dict[str, Any]] = []
    for item in raw or []:
        if isinstance(item, dict):
            i = 1
            while f"reason_{i}" in item:
                out.append({"name": item[f"reason_{i}"], "bin": item.get(f"reason_{i}_bin"),
                            "shortfall": item.get(f"reason_{i}_shortfall")})
                i += 1
        else:
            out.append({"name": str(item), "bin": None, "shortfall": None})
    return out


def _level_label(level: str | None, locale: str) -> str:
    if not level:
        return "—"
    try:
        member = AuthorityLevel(level)
    except ValueError:
        return level
    return member.label_zh if is_chinese(locale) else member.label_en


def _recommendation_label(value: str | None, locale: str) -> str:
    if not value:
        return "—"
    try:
        member = Recommendation(value)
    except ValueError:
        return value
    return member.label_zh if is_chinese(locale) else member.label_en


def _category_label(value: str, locale: str) -> str:
    try:
        member = Category(value)
    except ValueError:
        return value
    return member.label_zh if is_chinese(locale) else member.label_en


def _assessment_context(row: AssessmentRow | None, locale: str) -> dict[str, Any] | None:
    if row is None:
        return None
    content = row.content or {}
    decision = content.get("decision") or {}
    recommended_yes = row.recommendation in (Recommendation.APPROVE.value,
                                             Recommendation.APPROVE_WITH_CONDITIONS.value)
    level = AuthorityLevel(row.authority_level)
    return {
        "row": row,
        "flags": [dict(f, category_label=_category_label(str(f.get("category")), locale))
                  for f in content.get("flags") or []],
        "score": content.get("score") or {},
        "reason_codes": _reason_codes((content.get("score") or {}).get("reason_codes")),
        "valuation": content.get("valuation") or {},
        "decision": decision,
        "limit": decision.get("limit") or {},
        "price": decision.get("price") or {},
        "versions": row.versions or {},
        "recommendation_label": _recommendation_label(row.recommendation, locale),
        "level_label": _level_label(row.authority_level, locale),
        "override_level_label": _level_label(level.next_up().value, locale),
        "recommended_yes": recommended_yes,
    }


def _defaults(app: ApplicationRow, assessed: AssessmentRow | None) -> dict[str, dict[str, str]]:
    today = date.today().isoformat()
    recommended_yes = assessed is not None and assessed.recommendation in (
        Recommendation.APPROVE.value, Recommendation.APPROVE_WITH_CONDITIONS.value)
    return {
        "submit": {},
        "visit": {"visited_on": max(date.today(), app.submitted_on).isoformat(),
                  "occupancy": "owner", "collateral_condition": "intact",
                  "income_verified": "", "findings": "", "evidence": "",
                  "observed_structure": "", "observed_finish": "", "observed_services": ""},
        "assess": {"explanation": ""},
        "review": {"decision": "agree", "note": ""},
        "decide": {"decision": "approve" if recommended_yes or assessed is None else "decline",
                   "reasons": "",
                   "amount": _yuan(assessed.approved_amount) if assessed is not None else ""},
        "contract": {"signed_on": today},
        "registration": {"certificate_no": "", "registered_on": today,
                         "registry_office": DEFAULT_REGISTRY_OFFICE},
        "disburse": {"on": today},
    }


def _file_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
               translations: Any, application_id: int,
               state: FormState | None = None) -> Response:
    _ = translations.gettext
    try:
        app = origination.load_application(uow, user, application_id)
    except NotFound as exc:
        return render(request, "application_error.html", {
            "user": user, "title": _("Application not found"), "reason": exc.reason,
        }, locale, status_code=404)
    current = ApplicationStatus(app.status)
    borrower = uow.borrowers.get(app.borrower_id)
    prop = uow.properties.get(app.property_id)
    branch = uow.branches.get(app.branch_id)
    officer = uow.users.get(app.officer_id) if app.officer_id else None
    assessed = uow.origination.latest_assessment(app.id)
    loan = uow.origination.loan_of(app.id)
    steps = step_labels(_)
    open_steps = [s.value for s in steps_from(current)]
    forms: list[str] = []
    for step in open_steps:
        form = STEP_FORM.get(step)
        if form and _can(user, step) and form not in forms:
            forms.append(form)
    waiting = [{"label": steps[s], "roles": [r.label(locale) for r in sorted(STEP_ROLES[s])]}
               for s in open_steps if s in STEP_FORM and not _can(user, s)]
    defaults = _defaults(app, assessed)

    def val(form: str, name: str) -> str:
        if state is not None and state.name == form:
            return state.values.get(name, "")
        return defaults.get(form, {}).get(name, "")

    def err(form: str, name: str) -> str | None:
        if state is not None and state.name == form:
            return state.by_input.get(name)
        return None

    held = ROLE_LEVEL.get(user.role)
    show_full_id = user.role is Role.LOAN_OFFICER
    return render(request, "application_file.html", {
        "user": user, "app": app, "status_label": current.label(locale), "status": current.value,
        "borrower": borrower, "prop": prop,
        "resident_id": (borrower.resident_id if show_full_id else mask(borrower.resident_id))
        if borrower else "—",
        "property_type_label": _property_type_label(prop.property_type if prop else None, locale),
        "branch_name": (branch.name_zh if is_chinese(locale) else branch.name_en)
        if branch else "—",
        "officer": officer.full_name if officer else "—",
        "method_label": RepaymentMethod(app.repayment_method).label(locale),
        "events": [{"e": e, "label": steps.get(e.step, e.step),
                    "from": _status_label(e.from_status, locale),
                    "to": _status_label(e.to_status, locale)}
                   for e in uow.origination.events(app.id)],
        "visit": uow.origination.latest_visit(app.id),
        "a": _assessment_context(assessed, locale),
        "decisions": [{"d": d, "level": _level_label(d.authority_level, locale)}
                      for d in uow.origination.decisions(app.id)],
        "contract": uow.origination.contract(app.id),
        "registration": uow.origination.registration(app.id),
        "loan": loan,
        "forms": forms, "waiting": waiting, "steps": steps, "open_steps": open_steps,
        "review_can_agree": "review" in open_steps,
        "held_level_label": _level_label(held, locale) if held else None,
        "options": option_labels(_), "fields": field_labels(_),
        "occupancy_values": OCCUPANCY, "condition_values": CONDITION,
        "observed_values": OBSERVED,
        "state": state, "val": val, "err": err, "flash": _pop_flash(request),
        "valuation_report_url": (f"/api/v1/valuations/{assessed.valuation_id}/report.html"
                                 if assessed is not None and assessed.valuation_id else None),
    }, locale, status_code=state.status if state else 200)


def _status_label(value: str, locale: str) -> str:
    try:
        return ApplicationStatus(value).label(locale)
    except ValueError:
        return value


def _property_type_label(value: str | None, locale: str) -> str:
    from mortgage_risk.domain import PropertyType

    if value is None:
        return "—"
    try:
        return PropertyType(value).label(locale)
    except ValueError:
        return value


@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application_page(application_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                     locale: Locale, translations: TranslationsDep) -> Response:
    return _file_page(request, uow, user, locale, translations, application_id)


def _act(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str, translations: Any,
         application_id: int, form: str, values: dict[str, str], step: str,
         action: Callable[[], object]) -> Response:
    """Run one workflow step; refused, the file is shown again with the reason, nothing kept."""
    try:
        action()
    except ValidationError as exc:
        uow.rollback()
        return _file_page(request, uow, user, locale, translations, application_id,
                          FormState(form, 422, _validation_errors(exc), values))
    except ServiceError as exc:
        uow.rollback()
        return _file_page(request, uow, user, locale, translations, application_id,
                          FormState(form, exc.status, _service_errors(exc), values))
    _ = translations.gettext
    _flash(request, _("Done: %(step)s.") % {"step": step_labels(_)[step]})
    return _redirect_to_file(application_id)


CsrfField = Annotated[str, Form()]


@router.post("/applications/{application_id}/submit", response_class=HTMLResponse)
def submit_application(application_id: int, request: Request, uow: UowDep,
                       user: CurrentUserDep, locale: Locale, translations: TranslationsDep,
                       csrf_token: CsrfField = "") -> Response:
    check_csrf(request, csrf_token)
    return _act(request, uow, user, locale, translations, application_id, "submit", {},
                "submit", lambda: origination.submit(uow, user, application_id))


@router.post("/applications/{application_id}/visit", response_class=HTMLResponse)
def record_visit(
    application_id: int, request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
    translations: TranslationsDep, csrf_token: CsrfField = "",
    visited_on: Annotated[str, Form()] = "", occupancy: Annotated[str, Form()] = "",
    collateral_condition: Annotated[str, Form()] = "",
    income_verified: Annotated[str, Form()] = "", findings: Annotated[str, Form()] = "",
    evidence: Annotated[str, Form()] = "", observed_structure: Annotated[str, Form()] = "",
    observed_finish: Annotated[str, Form()] = "", observed_services: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    values = {"visited_on": visited_on, "occupancy": occupancy,
              "collateral_condition": collateral_condition, "income_verified": income_verified,
              "findings": findings, "evidence": evidence,
              "observed_structure": observed_structure, "observed_finish": observed_finish,
              "observed_services": observed_services}
    scores = {"structure": observed_structure, "finish": observed_finish,
              "services": observed_services}

    def action() -> object:
        visit = VisitIn.model_validate({
            **_dated("visited_on", visited_on), "occupancy": occupancy,
            "collateral_condition": collateral_condition,
            "income_verified": _parse_bool(income_verified) is True,
            "findings": findings,
            "evidence": [line.strip() for line in evidence.splitlines() if line.strip()],
            "observed": {k: v.strip() for k, v in scores.items() if v.strip()} or None,
        })
        if visit.observed:
            for name in OBSERVED:
                if name not in visit.observed:
                    raise InvalidInput("give all three observed scores, or none",
                                       field=f"observed.{name}")
        for name, score in (visit.observed or {}).items():
            if not 0 <= score <= 100:
                raise InvalidInput(f"must be within [0, 100]; got {score:g}",
                                   field=f"observed.{name}")
        return origination.record_visit(uow, user, application_id, visit)

    return _act(request, uow, user, locale, translations, application_id, "visit", values,
                "record_visit", action)


@router.post("/applications/{application_id}/assess", response_class=HTMLResponse)
def assess_application(application_id: int, request: Request, uow: UowDep,
                       user: CurrentUserDep, locale: Locale, translations: TranslationsDep,
                       csrf_token: CsrfField = "",
                       explanation: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    return _act(request, uow, user, locale, translations, application_id, "assess",
                {"explanation": explanation}, "assess",
                lambda: assessment.assess(uow, user, application_id,
                                          valuation_explanation=explanation.strip() or None))


@router.post("/applications/{application_id}/review", response_class=HTMLResponse)
def review_application(application_id: int, request: Request, uow: UowDep,
                       user: CurrentUserDep, locale: Locale, translations: TranslationsDep,
                       csrf_token: CsrfField = "", decision: Annotated[str, Form()] = "",
                       note: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    values = {"decision": decision, "note": note}

    def action() -> object:
        if decision not in ("agree", "return"):
            raise InvalidInput("choose agree or return", field="decision")
        return origination.review(uow, user, application_id, agree=decision == "agree",
                                  note=note)

    return _act(request, uow, user, locale, translations, application_id, "review", values,
                "review" if decision == "agree" else "return", action)


@router.post("/applications/{application_id}/decide", response_class=HTMLResponse)
def decide_application(application_id: int, request: Request, uow: UowDep,
                       user: CurrentUserDep, locale: Locale, translations: TranslationsDep,
                       csrf_token: CsrfField = "", decision: Annotated[str, Form()] = "",
                       reasons: Annotated[str, Form()] = "",
                       amount: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    values = {"decision": decision, "reasons": reasons, "amount": amount}

    def action() -> object:
        body = DecisionIn.model_validate({
            "decision": decision, "reasons": reasons,
            "amount": _optional(amount) if decision == "approve" else None})
        return origination.decide(uow, user, application_id, body)

    return _act(request, uow, user, locale, translations, application_id, "decide", values,
                "approve" if decision == "approve" else "decline", action)


@router.post("/applications/{application_id}/contract", response_class=HTMLResponse)
def sign_contract(application_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                  locale: Locale, translations: TranslationsDep, csrf_token: CsrfField = "",
                  signed_on: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)

    def action() -> object:
        body = ContractIn.model_validate(_dated("signed_on", signed_on))
        return origination.sign_contract(uow, user, application_id, body)

    return _act(request, uow, user, locale, translations, application_id, "contract",
                {"signed_on": signed_on}, "sign_contract", action)


@router.post("/applications/{application_id}/registration", response_class=HTMLResponse)
def register_mortgage(
    application_id: int, request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
    translations: TranslationsDep, csrf_token: CsrfField = "",
    certificate_no: Annotated[str, Form()] = "", registered_on: Annotated[str, Form()] = "",
    registry_office: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    values = {"certificate_no": certificate_no, "registered_on": registered_on,
              "registry_office": registry_office}

    def action() -> object:
        body = RegistrationIn.model_validate({
            "certificate_no": certificate_no, **_dated("registered_on", registered_on),
            "registry_office": registry_office.strip() or DEFAULT_REGISTRY_OFFICE})
        return origination.register_mortgage(uow, user, application_id, body)

    return _act(request, uow, user, locale, translations, application_id, "registration",
                values, "register_mortgage", action)


@router.post("/applications/{application_id}/disburse", response_class=HTMLResponse)
def disburse(application_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
             locale: Locale, translations: TranslationsDep, csrf_token: CsrfField = "",
             on: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)

    def action() -> object:
        try:
            day = date.fromisoformat(on) if on else date.today()
        except ValueError:
            raise InvalidInput("must be a date (YYYY-MM-DD)", field="on") from None
        return origination.disburse(uow, user, application_id, on=day)

    return _act(request, uow, user, locale, translations, application_id, "disburse",
                {"on": on}, "disburse", action)
