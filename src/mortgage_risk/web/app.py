"""The application factory: nothing is built at import time."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import jinja2
from babel.support import Translations
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from mortgage_risk.config import Settings, get_settings
from mortgage_risk.storage.database import Database
from mortgage_risk.web import (
    api,
    api_admin,
    api_imports,
    api_models,
    api_origination,
    api_parameters,
    api_risk,
    api_supervision,
    api_training,
    api_valuation,
    api_warnings,
    errors,
    i18n,
    pages,
    pages_admin,
    pages_config,
    pages_imports,
    pages_monitoring,
    pages_origination,
    pages_risk,
    pages_supervision,
    pages_tasks,
    pages_training,
    pages_warnings,
)
from mortgage_risk.web.jobs import JobRunner
from mortgage_risk.web.security import LoginThrottle, SecurityHeadersMiddleware, csrf_token

WEB_DIR = Path(__file__).parent
SESSION_COOKIE = "mortgage_risk_session"
PLOTLY_JS_URL = "/static/vendor/plotly.min.js"


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the installed plotly package (no CDN)."""
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


def make_templates(locale: str, translations: Translations) -> Jinja2Templates:
    """One Jinja environment per locale, so a request never changes a shared environment."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = lambda v: i18n.money(v, locale)
    env.filters["percent"] = lambda v: i18n.percent(v, locale)
    env.filters["integer"] = lambda v: i18n.integer(v, locale)
    env.filters["long_date"] = lambda v: i18n.long_date(v, locale)
    env.globals.update(
        locale=locale, html_lang=i18n.HTML_LANG[locale], is_chinese=i18n.is_chinese(locale),
        csrf_token=csrf_token, plotly_js_url=PLOTLY_JS_URL,
        role_label=lambda role: role.label(locale),
    )
    return Jinja2Templates(env=env)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the web app; the database defaults to the one named in the settings."""
    settings = settings or get_settings()
    if database is None:
        database = Database.connect(settings.resolved_database_url())

    app = FastAPI(
        title="mortgage-risk API",
        version="1",
        summary="County union mortgage loan risk management (县联社抵押贷款风险管理系统)",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the stock docs pages load Swagger UI / ReDoc from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.jobs = JobRunner()
    app.state.translations = i18n.load_translations()
    app.state.templates = {
        locale: make_templates(locale, t) for locale, t in app.state.translations.items()
    }
    app.state.login_throttle = LoginThrottle()

    errors.install(app)
    app.include_router(api.router)
    app.include_router(api_models.router)
    app.include_router(api_parameters.router)
    app.include_router(api_valuation.router)
    app.include_router(api_origination.router)
    app.include_router(api_imports.router)
    app.include_router(pages.router)
    app.include_router(pages_origination.router)
    app.include_router(api_warnings.router)
    app.include_router(pages_warnings.router)
    app.include_router(pages_monitoring.router)
    app.include_router(pages_monitoring.api)
    app.include_router(pages_tasks.router)
    app.include_router(pages_tasks.api)
    app.include_router(pages_config.router)
    app.include_router(pages_imports.router)
    app.include_router(api_risk.router)
    app.include_router(pages_risk.router)
    app.include_router(api_admin.router)
    app.include_router(pages_admin.router)
    app.include_router(api_training.router)
    app.include_router(pages_training.router)
    app.include_router(api_supervision.router)
    app.include_router(pages_supervision.router)
    app.include_router(pages.docs_router)

    plotly_js = plotly_js_path()

    @app.get(PLOTLY_JS_URL, include_in_schema=False)
    def plotly_script() -> FileResponse:
        return FileResponse(plotly_js, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    # The last added runs first: headers wrap everything, including session errors.
    app.add_middleware(SessionMiddleware, secret_key=settings.resolved_secret_key(),
                       session_cookie=SESSION_COOKIE,
                       max_age=settings.session_max_age_seconds, same_site="lax")
    app.add_middleware(SecurityHeadersMiddleware)
    return app
