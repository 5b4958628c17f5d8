"""Helpers shared by every versioned parameter file: the ``_source`` notes kept on a round trip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
