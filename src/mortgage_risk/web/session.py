"""Starting a login session: a fresh session (no fixation), keeping the chosen language."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from mortgage_risk.services.users import CurrentUser
from mortgage_risk.web.deps import SESSION_USER_KEY


def start_session(conn: HTTPConnection, user: CurrentUser) -> None:
    locale = conn.session.get("locale")
    conn.session.clear()
    if locale:
        conn.session["locale"] = locale
    conn.session[SESSION_USER_KEY] = user.id


def end_session(conn: HTTPConnection) -> None:
    locale = conn.session.get("locale")
    conn.session.clear()
    if locale:
        conn.session["locale"] = locale
