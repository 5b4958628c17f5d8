"""The login session: started fresh at login (no fixation, the chosen language kept), ended
after ``session_idle_timeout_seconds`` without a request or ``session_max_age_seconds`` after
login, and the ways back after it ends:

- a page asked for after the end returns to ``/login?next=<that page>``, and the login leads
  back there (a path on this site only);
- a form sent after the end is kept in the session (its fields, never a password or the CSRF
  token, bound to the user whose session ended) and offered again after that user logs in.

It also remembers the forms already done in this session, so a form sent twice (a double
click, a reload) is carried out once.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import HTTPConnection

from mortgage_risk.services.users import CurrentUser

SESSION_USER_KEY = "user_id"
SEEN_KEY = "seen"
LOGIN_AT_KEY = "login_at"
EXPIRED_KEY = "expired"
PENDING_FORM_KEY = "pending_form"
DONE_FORMS_KEY = "done_forms"
#: Kept across the start and the end of a login session.
KEPT_KEYS = ("locale",)
#: Where the login leads when a kept form waits.
RESUME_PATH = "/account/resume"
#: The largest kept form (it travels in the session cookie, about 4 KB at most).
MAX_PENDING_CHARS = 2000
#: Forms remembered as done (the newest).
MAX_DONE_FORMS = 20
#: Field names never kept: secrets and the (stale) CSRF token.
SECRET_FIELDS = ("csrf_token", "password", "secret", "token")


def wall_clock() -> float:
    """Seconds since the epoch (tests replace this to move time on)."""
    return time.time()


def _keep(conn: HTTPConnection, extra: Iterable[str] = ()) -> None:
    kept = {k: conn.session[k] for k in (*KEPT_KEYS, *extra) if k in conn.session}
    conn.session.clear()
    conn.session.update(kept)


def start_session(conn: HTTPConnection, user: CurrentUser) -> None:
    pending = conn.session.get(PENDING_FORM_KEY)
    _keep(conn)
    if isinstance(pending, dict) and pending.get("user") == user.id:
        conn.session[PENDING_FORM_KEY] = pending  # the same user: the kept form waits
    now = int(wall_clock())
    conn.session[SESSION_USER_KEY] = user.id
    conn.session[LOGIN_AT_KEY] = now
    conn.session[SEEN_KEY] = now


def end_session(conn: HTTPConnection) -> None:
    _keep(conn)


# --- expiry -------------------------------------------------------------------------------------


def has_expired(conn: HTTPConnection, idle_seconds: int, max_age_seconds: int) -> bool:
    """Whether the logged-in session has been idle, or open, for too long."""
    now = wall_clock()
    seen = conn.session.get(SEEN_KEY)
    login_at = conn.session.get(LOGIN_AT_KEY)
    if not isinstance(seen, int | float) or not isinstance(login_at, int | float):
        return True  # a session from before expiry was kept: log in again
    return now - seen > idle_seconds or now - login_at > max_age_seconds


def touch(conn: HTTPConnection) -> None:
    conn.session[SEEN_KEY] = int(wall_clock())


def expire(conn: HTTPConnection) -> None:
    """End the session that timed out; the login page then says why."""
    _keep(conn, (PENDING_FORM_KEY,))
    conn.session[EXPIRED_KEY] = True


def pop_expired(conn: HTTPConnection) -> bool:
    return bool(conn.session.pop(EXPIRED_KEY, False))


# --- where to go after the login ---------------------------------------------------------------


def safe_next(raw: str | None) -> str | None:
    """``raw`` if it is a path on this site (not another host, not the login itself)."""
    if not raw or len(raw) > 2000 or any(c in raw for c in "\\\r\n\t") or raw.startswith("//"):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path in ("/login", "/logout") or parts.path.startswith("/lang/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def login_url(next_path: str | None) -> str:
    target = safe_next(next_path)
    if target is None or target == "/":
        return "/login"
    return "/login?next=" + quote(target, safe="/")


def after_login(conn: HTTPConnection, next_path: str | None) -> str:
    """Where the login leads: the kept form if one waits, else ``next``, else home."""
    if isinstance(conn.session.get(PENDING_FORM_KEY), dict):
        return RESUME_PATH
    return safe_next(next_path) or "/"


# --- a form sent after the session ended -------------------------------------------------------


def keep_form(conn: HTTPConnection, user_id: int, action: str,
              fields: Iterable[tuple[str, Any]], back: str | None) -> bool:
    """Keep a form's text fields for ``user_id`` to send again after logging in; False when
    it cannot be kept (a file in it, or too large for the cookie)."""
    values: list[list[str]] = []
    for name, value in fields:
        if not isinstance(value, str):
            return False  # an uploaded file cannot be kept
        if any(secret in name.lower() for secret in SECRET_FIELDS):
            continue
        values.append([name, value])
    pending = {"user": user_id, "action": action, "values": values,
               "back": safe_next(back) or "/"}
    if len(json.dumps(pending, ensure_ascii=False)) > MAX_PENDING_CHARS:
        return False
    conn.session[PENDING_FORM_KEY] = pending
    return True


def has_kept_form(conn: HTTPConnection) -> bool:
    return isinstance(conn.session.get(PENDING_FORM_KEY), dict)


def pop_kept_form(conn: HTTPConnection, user_id: int) -> dict[str, Any] | None:
    """The form kept for ``user_id``, removed from the session (offered once)."""
    pending = conn.session.pop(PENDING_FORM_KEY, None)
    if not isinstance(pending, dict) or pending.get("user") != user_id:
        return None
    action = safe_next(str(pending.get("action", "")))
    if action is None:
        return None
    values = [(str(n), str(v)) for n, v in pending.get("values", [])]
    return {"action": action, "values": values, "back": safe_next(pending.get("back")) or "/"}


# --- forms done once ----------------------------------------------------------------------------


def new_form_id() -> str:
    """A one-time id for a form; sent back with the form, it marks the form as done."""
    return secrets.token_urlsafe(16)


def form_done(conn: HTTPConnection, form_id: str) -> str | None:
    """Where the form with ``form_id`` led when it was done in this session, else None."""
    if not form_id:
        return None
    done = conn.session.get(DONE_FORMS_KEY)
    if isinstance(done, dict):
        target = done.get(form_id)
        return str(target) if target else None
    return None


def mark_form_done(conn: HTTPConnection, form_id: str, target: str) -> None:
    if not form_id:
        return
    done = conn.session.get(DONE_FORMS_KEY)
    done = dict(done) if isinstance(done, dict) else {}
    done[form_id] = target
    while len(done) > MAX_DONE_FORMS:
        done.pop(next(iter(done)))
    conn.session[DONE_FORMS_KEY] = done
