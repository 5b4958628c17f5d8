"""The portfolio risk pages: /risk (indicators, provisions, breakdown, migration, vintages,
roll rates) and /risk/stress (house price and PD shocks).

Both pages are read-only GET forms: nothing is written, so no CSRF token is needed. The
charts are drawn by /static/risk.js from a JSON block in the page with the local Plotly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from mortgage_risk.services import portfolio_risk
from mortgage_risk.services.errors import ServiceError
from mortgage_risk.services.portfolio_risk import GROUPS, StressIn
from mortgage_risk.web.deps import CurrentUserDep, Locale, TranslationsDep, UowDep
from mortgage_risk.web.errors import validation_errors
from mortgage_risk.web.i18n import is_chinese
from mortgage_risk.web.pages import render

router = APIRouter(include_in_schema=False)

PRESET_SHOCKS = ("-10", "-20", "-30")
STRESS_MODES = ("policy", "presets", "custom", "path")
_NUMBER_SPLIT = re.compile(r"[\s,，、;；]+")

Gettext = Callable[[str], str]


def _label(item: Mapping[str, Any], locale: str) -> str:
    return str(item["label_zh"] if is_chinese(locale) else item["label_en"])


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) * 100, 4)


def indicator_names(_: Gettext) -> dict[str, str]:
    return {
        "npl_ratio": _("NPL ratio"),
        "provision_coverage": _("Provision coverage"),
        "loan_provision_ratio": _("Loan provision ratio"),
        "dpd90_to_npl": _("90+ DPD to NPL ratio"),
        "par30": _("PAR30"),
        "par90": _("PAR90"),
    }


def group_names(_: Gettext) -> dict[str, str]:
    return {"branch": _("Branch"), "township": _("Township"),
            "property_type": _("Property type"), "officer": _("Loan officer")}


def concentration_names(_: Gettext) -> dict[str, str]:
    return {"real_estate": _("Real-estate loans"),
            "personal_housing": _("Personal housing loans")}


def _heatmap(matrix: Mapping[str, Any], locale: str, title: str, x_title: str,
             y_title: str) -> dict[str, Any]:
    cols = matrix["columns"]
    rows = matrix["rows"]
    return {
        "kind": "heatmap", "title": title, "x_title": x_title, "y_title": y_title,
        "x": [_label(c, locale) for c in cols],
        "y": [_label(r, locale) for r in rows],
        "z": [[_pct(r["shares"][c["key"]]) for c in cols] for r in rows],
        "counts": [[r["counts"][c["key"]] for c in cols] for r in rows],
    }


def risk_charts(data: Mapping[str, Any], locale: str, _: Gettext) -> dict[str, Any]:
    """The figures of the risk page; floats are for plotting only."""
    risk = data["risk"]
    group = group_names(_)[risk["group_by"]].lower()
    npl_max = next((i["limit_max"] for i in risk["indicators"] if i["key"] == "npl_ratio"),
                   None)
    breakdown = {
        "kind": "bar", "title": _("NPL ratio and PAR90 by %(group)s") % {"group": group},
        "y_title": _("Percent"), "threshold": _pct(npl_max),
        "threshold_name": _("NPL ratio limit"),
        "traces": [
            {"name": _("NPL ratio"), "x": [_label(g, locale) for g in risk["breakdown"]],
             "y": [_pct(g["npl_ratio"]) for g in risk["breakdown"]]},
            {"name": _("PAR90"), "x": [_label(g, locale) for g in risk["breakdown"]],
             "y": [_pct(g["par90"]) for g in risk["breakdown"]]},
        ],
    }
    vintages = {
        "kind": "line", "title": _("Vintage curves: cumulative default rate"),
        "x_title": _("Months on book"), "y_title": _("Percent"),
        "traces": [{"name": str(v["vintage"]), "x": v["months_on_book"],
                    "y": [_pct(r) for r in v["rate"]]} for v in data["vintages"]["vintages"]],
    }
    return {
        "breakdown": breakdown,
        "migration": _heatmap(data["migration"], locale,
                              _("Five-category migration (share of loans, %)"),
                              _("Class at the end date"), _("Class at the start date")),
        "vintages": vintages,
        "roll_rates": _heatmap(data["roll_rates"], locale,
                               _("Roll rates between month ends (share of loans, %)"),
                               _("Bucket a month later"), _("Bucket at a month end")),
    }


def _error_page(request: Request, user: Any, locale: str, title: str, exc: ServiceError,
                status: int) -> Response:
    return render(request, "risk_error.html", {"user": user, "title": title,
                                               "reason": exc.reason, "field": exc.field},
                  locale, status_code=status)


@router.get("/risk", response_class=HTMLResponse)
def risk_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
              translations: TranslationsDep, group_by: str = "branch") -> Response:
    _ = translations.gettext
    if group_by not in GROUPS:
        group_by = "branch"
    try:
        data = portfolio_risk.dashboard(uow, user, group_by=group_by)
    except ServiceError as exc:
        return _error_page(request, user, locale, _("Portfolio risk"), exc, exc.status)
    return render(request, "risk.html", {
        "user": user, "data": data, "risk": data["risk"], "group_by": group_by,
        "groups": group_names(_), "indicator_names": indicator_names(_),
        "concentration_names": concentration_names(_),
        "label": lambda item: _label(item, locale),
        "charts": risk_charts(data, locale, _),
    }, locale)


# --------------------------------------------------------------------------- stress page

def _numbers(raw: str) -> list[float]:
    """Percent numbers typed by a person ("-1, -1.5 -2") as fractions."""
    parts = [p for p in _NUMBER_SPLIT.split(raw.strip().replace("%", "")) if p]
    return [float(p) / 100 for p in parts]


def parse_stress_form(params: Mapping[str, Any], _: Gettext
                      ) -> tuple[dict[str, Any], StressIn | None, list[tuple[str, str]]]:
    """The form's values, the request they make (None: not valid) and the errors as
    (form field, reason). Changes are typed in percent and sent as fractions."""
    mode = str(params.get("mode") or "policy")
    if mode not in STRESS_MODES:
        mode = "policy"
    raw_presets = params.get("presets")
    presets = [p for p in raw_presets if p in PRESET_SHOCKS] \
        if isinstance(raw_presets, list) else []
    custom_shock = str(params.get("custom_shock", "")).strip()
    path_text = str(params.get("path", "")).strip()
    multiplier = str(params.get("pd_multiplier", "1")).strip() or "1"
    form: dict[str, Any] = {"mode": mode, "presets": presets, "custom_shock": custom_shock,
                            "path": path_text, "pd_multiplier": multiplier}
    shock_field = {"presets": "presets", "custom": "custom_shock", "path": "path"}.get(mode, "")
    errors: list[tuple[str, str]] = []
    body: dict[str, Any] = {}
    if mode != "policy":
        try:
            body["pd_multiplier"] = float(multiplier)
        except ValueError:
            errors.append(("pd_multiplier", _("not a number")))
    try:
        if mode == "presets":
            form["presets"] = presets or list(PRESET_SHOCKS)
            body["house_price_shocks"] = [float(p) / 100 for p in form["presets"]]
        elif mode == "custom":
            body["house_price_shocks"] = _numbers(custom_shock)
        elif mode == "path":
            body["house_price_path"] = _numbers(path_text)
    except ValueError:
        errors.append((shock_field, _("not a number")))
    else:
        if mode in ("custom", "path") and not (body.get("house_price_shocks")
                                               or body.get("house_price_path")):
            errors.append((shock_field, _("give at least one change in percent")))
    if errors:
        return form, None, errors
    try:
        request = StressIn.model_validate(body)
    except ValidationError as exc:
        out: list[tuple[str, str]] = []
        for e in validation_errors(exc.errors()):
            field = str(e["field"])
            if field in ("house_price_shocks", "house_price_path"):
                out.append((shock_field,
                            _("each change must be between -100 and +100 percent")))
            elif field == "pd_multiplier":
                out.append((field, _("must be a number from 0 to 100")))
            else:
                out.append((field, str(e["reason"])))
        return form, None, out
    return form, request, []


def scenario_names(_: Gettext) -> dict[str, str]:
    """Names of the monitoring policy's scenarios (custom ones show as typed)."""
    return {"baseline": _("Baseline (no shock)"), "base": _("Base scenario"),
            "mild": _("Mild"), "moderate": _("Moderate"), "severe": _("Severe"),
            "slow_decline_path": _("Slow decline (price path)")}


def stress_charts(result: Mapping[str, Any], _: Gettext) -> dict[str, Any]:
    rows = [result["baseline"], *result["scenarios"]]
    known = scenario_names(_)
    names = [known.get(r["name"], r["name"]) for r in rows]
    return {
        "losses": {
            "kind": "money_bar", "title": _("Expected loss and provisions by scenario"),
            "y_title": _("Yuan"),
            "traces": [
                {"name": _("Expected loss"), "x": names,
                 "y": [float(r["expected_loss"]) for r in rows]},
                {"name": _("Provisions"), "x": names,
                 "y": [float(r["provisions"]) for r in rows]},
            ],
        },
        "ratios": {
            "kind": "bar", "title": _("LTV over 100% and NPL ratio by scenario"),
            "y_title": _("Percent"),
            "traces": [
                {"name": _("Loans with LTV over %(pct)s") % {"pct": "100%"}, "x": names,
                 "y": [_pct(r["share_ltv_over_100"]) for r in rows]},
                {"name": _("NPL ratio after the shock"), "x": names,
                 "y": [_pct(r["npl_ratio"]) for r in rows]},
            ],
        },
    }


@router.get("/risk/stress", response_class=HTMLResponse)
def stress_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                translations: TranslationsDep) -> Response:
    _ = translations.gettext
    params: dict[str, Any] = dict(request.query_params)
    params["presets"] = request.query_params.getlist("presets")
    form, body, errors = parse_stress_form(params, _)
    result = None
    status = 200
    if body is not None:
        try:
            result = portfolio_risk.stress_test(uow, user,
                                                portfolio_risk.stress_scenarios(body))
        except ServiceError as exc:
            if exc.status == 403:
                return _error_page(request, user, locale, _("Stress test"), exc, 403)
            errors.append((exc.field or "input", exc.reason))
            status = exc.status
    else:
        status = 422
    field_labels = {"presets": _("Preset shocks"),
                    "custom_shock": _("House price change (percent)"),
                    "path": _("Monthly house price path (percent)"),
                    "pd_multiplier": _("PD multiplier")}
    return render(request, "risk_stress.html", {
        "user": user, "form": form, "result": result, "presets": PRESET_SHOCKS,
        "errors": errors, "error_for": dict(errors), "field_labels": field_labels,
        "scenario_name": lambda name: scenario_names(_).get(name, name),
        "charts": stress_charts(result, _) if result is not None else None,
    }, locale, status_code=status)
