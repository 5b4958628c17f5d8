"""The web entry point: HTML pages, the JSON API under /api/v1, auth, i18n and static files."""

from mortgage_risk.web.app import create_app

__all__ = ["create_app"]
