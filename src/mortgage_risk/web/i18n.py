"""Locales and gettext catalogs: Simplified Chinese first, English second.

The catalogs are .po files under ``translations/``; they are compiled in memory when the app
starts, so no .mo file has to be built or kept in step.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from starlette.requests import HTTPConnection

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
#: The short codes used in /lang/{code}.
SHORT_CODES = {"zh": "zh_CN", "en": "en"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def _compile(po_path: Path, locale: str) -> Translations:
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def load_translations(directory: Path = TRANSLATIONS_DIR) -> dict[str, Translations]:
    """Every locale's catalog, compiled in memory from ``messages.po`` and merged with the
    locale's other .po files (one per area of the app: ``warnings.po``, ...)."""
    catalogs: dict[str, Translations] = {}
    for locale in LOCALES:
        folder = directory / locale / "LC_MESSAGES"
        merged = _compile(folder / "messages.po", locale)
        for extra in sorted(folder.glob("*.po")):
            if extra.name != "messages.po":
                merged.merge(_compile(extra, locale))
        catalogs[locale] = merged
    return catalogs


def request_locale(conn: HTTPConnection) -> str:
    """The locale chosen in this session, else the default (Chinese)."""
    locale = conn.session.get("locale") if "session" in conn.scope else None
    return locale if locale in LOCALES else DEFAULT_LOCALE


def is_chinese(locale: str) -> bool:
    return locale.startswith("zh")


def money(value: Decimal, locale: str) -> str:
    """A CNY amount rounded to the yuan for display, with thousands separators: ¥1,234,567."""
    rounded = Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return "¥" + format_decimal(rounded, format="#,##0", locale=locale)


def percent(ratio: Decimal, locale: str) -> str:
    """A ratio shown as a percentage with two decimals: 0.012345 -> 1.23%."""
    rounded = (Decimal(ratio) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format_decimal(rounded, format="#,##0.00", locale=locale) + "%"


def integer(value: int, locale: str) -> str:
    return format_decimal(value, format="#,##0", locale=locale)


def long_date(value: object, locale: str) -> str:
    if value is None:
        return "—"
    return format_date(value, format="long", locale=locale)  # type: ignore[arg-type]
