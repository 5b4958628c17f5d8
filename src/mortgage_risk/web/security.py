"""Security plumbing for the web layer: headers, CSRF tokens and the login throttle."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Scripts only from this origin (Plotly is served from the installed package). Plotly sets
#: style attributes and inserts a style sheet at run time, so inline styles are allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds the security headers to every response; pages and API answers are not cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not is_static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- CSRF -------------------------------------------------------------------------------------

CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"


class CsrfError(Exception):
    """A form was posted without the token held in the session."""


def csrf_token(conn: HTTPConnection) -> str:
    """This session's form token, created on first use."""
    token = conn.session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        conn.session[CSRF_SESSION_KEY] = token
    return str(token)


def check_csrf(conn: HTTPConnection, submitted: str | None) -> None:
    expected = conn.session.get(CSRF_SESSION_KEY)
    if not expected or not submitted or not secrets.compare_digest(str(expected), submitted):
        raise CsrfError


# --- login throttle ---------------------------------------------------------------------------


class LoginThrottle:
    """Refuse a username for ``lockout`` seconds after ``limit`` failures within ``window``.

    Kept in memory per process: enough for one server; a restart forgets it.
    """

    def __init__(self, limit: int = 5, window: float = 15 * 60, lockout: float = 15 * 60,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.lockout = lockout
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().lower()

    def is_locked(self, username: str) -> bool:
        key, now = self._key(username), self.clock()
        with self._lock:
            until = self._locked_until.get(key)
            if until is None:
                return False
            if now >= until:
                del self._locked_until[key]
                self._failures.pop(key, None)
                return False
            return True

    def failed(self, username: str) -> None:
        key, now = self._key(username), self.clock()
        with self._lock:
            failures = self._failures.setdefault(key, deque())
            failures.append(now)
            while failures and now - failures[0] > self.window:
                failures.popleft()
            if len(failures) >= self.limit:
                self._locked_until[key] = now + self.lockout
                failures.clear()
            self._prune(now)

    def succeeded(self, username: str) -> None:
        key = self._key(username)
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)

    def _prune(self, now: float) -> None:
        """Forget usernames whose failures are all older than the window (bounded memory)."""
        stale = [k for k, d in self._failures.items() if not d or now - d[-1] > self.window]
        for key in stale:
            del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if now >= until]:
            del self._locked_until[key]
