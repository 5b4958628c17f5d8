"""Render report templates (Jinja2, Chinese first) to self-contained HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).with_name("templates")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value: Any, places: int = 2) -> str:
    """¥ with thousands separators, rounded half up for display only."""
    number = _decimal(value)
    if number is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    return f"¥{number.quantize(quantum, rounding=ROUND_HALF_UP):,}"


def percent(value: Any, places: int = 2) -> str:
    number = _decimal(value)
    return "—" if number is None else f"{number * 100:.{places}f}%"


def number(value: Any, places: int = 4) -> str:
    parsed = _decimal(value)
    return "—" if parsed is None else f"{parsed:,.{places}f}".rstrip("0").rstrip(".")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(default=True),
                             undefined=jinja2.ChainableUndefined)
    env.filters.update(money=money, percent=percent, number=number)
    return env


def render(template: str, **context: Any) -> str:
    context.setdefault("generated_at", datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"))
    return environment().get_template(template).render(**context)
