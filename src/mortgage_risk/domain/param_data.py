"""Helpers shared by every versioned parameter file: the ``_source`` notes kept on a round trip."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from mortgage_risk.domain.errors import DomainError


def collect_sources(d: Any, path: str, out: dict[str, str]) -> None:
    """Gather every ``_source`` note of a nested mapping into ``out`` by its dotted path."""
    if isinstance(d, Mapping):
        for k, v in d.items():
            if k == "_source":
                out[path] = str(v)
            else:
                collect_sources(v, f"{path}.{k}" if path else str(k), out)


def put_source(d: dict[str, Any], path: str, note: str) -> None:
    """Put a ``_source`` note back at ``path`` (ignored where the path no longer exists)."""
    node: Any = d
    for part in [p for p in path.split(".") if p]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if isinstance(node, dict):
        node["_source"] = note


# Readers for policy files: each check names the full path of the value (``policy.a.b``).

def policy_error(path: str, reason: str) -> DomainError:
    return DomainError(f"policy.{path}" if path else "policy", reason)


def as_object(d: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        raise policy_error(path, f"must be an object; got {type(d).__name__}")
    return d


def required(d: Any, key: str, path: str) -> Any:
    obj = as_object(d, path)
    if key not in obj:
        raise policy_error(f"{path}.{key}" if path else key, "missing")
    return obj[key]


def entries(d: Any, path: str) -> list[tuple[str, Any]]:
    """The entries of an object, without ``_source`` notes."""
    return [(str(k), v) for k, v in as_object(d, path).items() if not str(k).startswith("_")]


def number(value: Any, path: str, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise policy_error(path, f"must be a number; got {value!r}")
    x = float(value)
    if not low <= x <= high:
        raise policy_error(path, f"must be within [{low}, {high}]; got {x}")
    return x


def whole(value: Any, path: str, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise policy_error(path, f"must be a whole number; got {value!r}")
    if value < low:
        raise policy_error(path, f"must be at least {low}; got {value}")
    return value


def text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise policy_error(path, f"must be a non-empty string; got {value!r}")
    return value


def flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise policy_error(path, f"must be true or false; got {value!r}")
    return value


def packaged_json(package: str, resource: str) -> Any:
    """A parameter file shipped in ``package``'s ``data`` folder, parsed."""
    from importlib.resources import files

    return json.loads(files(package).joinpath("data", resource).read_text(encoding="utf-8"))


def parse_json(raw_text: str) -> Any:
    """JSON text of a parameter file; bad JSON is a DomainError on ``policy``."""
    try:
        return json.loads(raw_text)
    except json.JSONDecodeError as exc:
        raise DomainError("policy", f"not valid JSON: {exc}") from None


def iso_date(value: Any, path: str) -> date:
    """A required ISO date (YYYY-MM-DD), such as a file's ``effective_date``."""
    try:
        return date.fromisoformat(text(value, path))
    except ValueError:
        raise policy_error(path, "must be an ISO date (YYYY-MM-DD)") from None
