"""Early-warning indicators as data: SQL definitions with thresholds per level.

An :class:`IndicatorSet` (default ``data/indicators-default.json``, version
``indicators-2026.2``, calibrated on the synthetic demo book: ``notes`` in the file and
docs/warning-calibration.md) holds

- ``parameters``: numbers and small tables the SQL refers to (grace days, look-back months,
  the rural damping amplitude by property type, the mortgage-rate caps);
- ``views``: derived views over the input tables (per-loan repayment statistics, the active
  loans with revalued collateral, borrowers, matched external events), materialised once per
  run and shared by the indicators;
- ``indicators``: each a ``SELECT`` producing ``borrower_id, loan_id, value`` (and
  ``confidence`` = ``'high'``/``'low'`` for indicators fed by matched external records), with a
  family, names, a direction and thresholds for blue, yellow, orange and red.

The SQL is written once. Dialect differences are confined to a few macros expanded by
:func:`render_sql` (``{as_of}``, ``{as_of_minus_months(n)}``, ``{as_of_plus_months(n)}``,
``{as_of_minus_days(n)}``, ``{as_of_month}``, ``{month_ord(d)}``, ``{days_between(a, b)}``,
``{param(name)}``, ``{hpi_amplitude(expr)}``, ``{ltv_cap(type, region_kind)}``). The as-of
date is always a parameter: no SQL reads the clock.

Levels are ranked 0 (none), 1 blue, 2 yellow, 3 orange, 4 red. A value reaches a level when it
is at or beyond the level's threshold in the indicator's direction; the highest such level is
the signal's level. A match by name only (``confidence = 'low'``) never raises more than blue.

Pure: no I/O except reading the packaged JSON in :func:`load_indicator_set`.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Literal

LEVELS: Final = ("blue", "yellow", "orange", "red")
LEVEL_RANK: Final = {name: i + 1 for i, name in enumerate(LEVELS)}
LEVEL_NAMES: Final = {0: "none", **{i + 1: name for i, name in enumerate(LEVELS)}}
LOW_CONFIDENCE_MAX_RANK: Final = LEVEL_RANK["blue"]

FAMILIES: Final = (
    "repayment",
    "credit_bureau",
    "judicial",
    "registry",
    "collateral",
    "market",
    "borrower_event",
    "internal",
)

Direction = Literal["higher", "lower"]
Scope = Literal["loan", "borrower"]
DIALECTS: Final = ("duckdb", "spark")

DEFAULT_PATH: Final = Path(__file__).resolve().parent / "data" / "indicators-default.json"

_ID_RE: Final = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")
_VIEW_RE: Final = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class IndicatorError(ValueError):
    """An indicator definition or a SQL template is invalid."""


# ------------------------------------------------------------------------------- thresholds


@dataclass(frozen=True, slots=True)
class Thresholds:
    """One threshold per level; ``None`` leaves the level unused."""

    blue: float | None = None
    yellow: float | None = None
    orange: float | None = None
    red: float | None = None

    def by_rank(self) -> list[tuple[int, float]]:
        """(rank, threshold) of the levels in use, from blue to red."""
        out: list[tuple[int, float]] = []
        for name in LEVELS:
            value = getattr(self, name)
            if value is not None:
                out.append((LEVEL_RANK[name], float(value)))
        return out

    def get(self, level: str) -> float | None:
        if level not in LEVEL_RANK:
            raise IndicatorError(f"unknown level {level!r}")
        value: float | None = getattr(self, level)
        return value

    def validate(self, direction: Direction, where: str) -> None:
        used = self.by_rank()
        if not used:
            raise IndicatorError(f"{where}: at least one level needs a threshold")
        for _, value in used:
            if not math.isfinite(value):
                raise IndicatorError(f"{where}: thresholds must be finite")
        values = [v for _, v in used]
        pairs = list(zip(values, values[1:], strict=False))
        ordered = (
            all(a < b for a, b in pairs) if direction == "higher" else all(a > b for a, b in pairs)
        )
        if not ordered:
            word = "increase" if direction == "higher" else "decrease"
            raise IndicatorError(f"{where}: thresholds must strictly {word} from blue to red")

    def to_dict(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in LEVELS}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> Thresholds:
        unknown = set(data) - set(LEVELS)
        if unknown:
            raise IndicatorError(f"{where}: unknown levels {sorted(unknown)}")
        values: dict[str, float | None] = {}
        for name in LEVELS:
            raw = data.get(name)
            if raw is None:
                values[name] = None
            elif isinstance(raw, bool) or not isinstance(raw, int | float):
                raise IndicatorError(f"{where}: threshold {name} must be a number or null")
            else:
                values[name] = float(raw)
        return cls(**values)


def level_rank(value: float | None, thresholds: Thresholds, direction: Direction = "higher") -> int:
    """The level rank (0 none .. 4 red) a value reaches: the Python twin of the SQL CASE."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    rank = 0
    for r, threshold in thresholds.by_rank():
        hit = value >= threshold if direction == "higher" else value <= threshold
        if hit:
            rank = r
    return rank


def capped_rank(rank: int, confidence: str) -> int:
    """A low-confidence (name-only) match never raises more than blue."""
    return min(rank, LOW_CONFIDENCE_MAX_RANK) if confidence == "low" else rank


# ------------------------------------------------------------------------------- definitions


@dataclass(frozen=True, slots=True)
class DerivedView:
    """A named SELECT over the input tables (or earlier views), materialised once per run."""

    name: str
    description: str
    sql: str


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    family: str
    name_zh: str
    name_en: str
    description: str
    sql: str
    direction: Direction
    thresholds: Thresholds
    enabled: bool = True
    scope: Scope = "loan"
    confidence: bool = False
    """True when the SQL returns a ``confidence`` column ('high' / 'low')."""

    def level_of(self, value: float | None, confidence: str = "high") -> int:
        return capped_rank(level_rank(value, self.thresholds, self.direction), confidence)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "scope": self.scope,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "description": self.description,
            "direction": self.direction,
            "thresholds": self.thresholds.to_dict(),
            "enabled": self.enabled,
            "confidence": self.confidence,
            "sql": self.sql.split("\n"),
        }


@dataclass(frozen=True)
class IndicatorSet:
    version: str
    indicators: tuple[Indicator, ...]
    views: tuple[DerivedView, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    notes: tuple[str, ...] = ()
    """Free text kept with the set: how its thresholds were calibrated and what they gave."""

    def __post_init__(self) -> None:
        if not self.version:
            raise IndicatorError("the indicator set needs a version")
        ids = [i.id for i in self.indicators]
        dup = sorted({x for x in ids if ids.count(x) > 1})
        if dup:
            raise IndicatorError(f"duplicate indicator ids: {dup}")
        names = [v.name for v in self.views]
        if len(set(names)) != len(names):
            raise IndicatorError("duplicate view names")

    @property
    def enabled(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.enabled)

    def get(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def with_thresholds(self, indicator_id: str, **levels: float | None) -> IndicatorSet:
        """A copy with some thresholds of one indicator changed (validated)."""
        ind = self.get(indicator_id)
        current = ind.thresholds.to_dict()
        unknown = set(levels) - set(LEVELS)
        if unknown:
            raise IndicatorError(f"unknown levels {sorted(unknown)}")
        current.update(levels)
        new = Thresholds(**current)
        new.validate(ind.direction, ind.id)
        return self._replace(replace(ind, thresholds=new))

    def with_enabled(self, indicator_id: str, enabled: bool) -> IndicatorSet:
        return self._replace(replace(self.get(indicator_id), enabled=enabled))

    def _replace(self, new: Indicator) -> IndicatorSet:
        items = tuple(new if i.id == new.id else i for i in self.indicators)
        return replace(self, indicators=items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "description": self.description,
            "notes": list(self.notes),
            "parameters": dict(self.parameters),
            "views": [
                {"name": v.name, "description": v.description, "sql": v.sql.split("\n")}
                for v in self.views
            ],
            "indicators": [i.to_dict() for i in self.indicators],
        }

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON: changes whenever a threshold or SQL changes."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IndicatorSet:
        views = tuple(_view(v, k) for k, v in enumerate(data.get("views", [])))
        inds = tuple(_indicator(d, k) for k, d in enumerate(data.get("indicators", [])))
        params = data.get("parameters", {})
        if not isinstance(params, Mapping):
            raise IndicatorError("parameters must be an object")
        notes = data.get("notes", [])
        if isinstance(notes, str):
            notes = [notes]
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            raise IndicatorError("notes must be a string or a list of strings")
        return cls(
            version=str(data.get("version", "")),
            indicators=inds,
            views=views,
            parameters=dict(params),
            description=str(data.get("description", "")),
            notes=tuple(notes),
        )


def _sql_text(raw: Any, where: str) -> str:
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        text = "\n".join(raw)
    else:
        raise IndicatorError(f"{where}: sql must be a string or a list of lines")
    text = text.strip().rstrip(";")
    if not re.match(r"(?is)^\s*(select|with)\b", text):
        raise IndicatorError(f"{where}: sql must be a SELECT")
    if ";" in text:
        raise IndicatorError(f"{where}: sql must be a single statement")
    return text


def _view(d: Mapping[str, Any], k: int) -> DerivedView:
    name = str(d.get("name", ""))
    if not _VIEW_RE.match(name):
        raise IndicatorError(f"views[{k}]: bad view name {name!r}")
    return DerivedView(name, str(d.get("description", "")), _sql_text(d.get("sql"), name))


def _indicator(d: Mapping[str, Any], k: int) -> Indicator:
    iid = str(d.get("id", ""))
    where = iid or f"indicators[{k}]"
    if not _ID_RE.match(iid):
        raise IndicatorError(f"{where}: id must be upper snake case")
    family = str(d.get("family", ""))
    if family not in FAMILIES:
        raise IndicatorError(f"{where}: unknown family {family!r}")
    direction = d.get("direction", "higher")
    if direction not in ("higher", "lower"):
        raise IndicatorError(f"{where}: direction must be 'higher' or 'lower'")
    scope = d.get("scope", "loan")
    if scope not in ("loan", "borrower"):
        raise IndicatorError(f"{where}: scope must be 'loan' or 'borrower'")
    raw_thr = d.get("thresholds")
    if not isinstance(raw_thr, Mapping):
        raise IndicatorError(f"{where}: thresholds must be an object")
    thresholds = Thresholds.from_mapping(raw_thr, where)
    thresholds.validate(direction, where)
    for key in ("name_zh", "name_en"):
        if not str(d.get(key, "")).strip():
            raise IndicatorError(f"{where}: {key} is required")
    return Indicator(
        id=iid,
        family=family,
        name_zh=str(d["name_zh"]),
        name_en=str(d["name_en"]),
        description=str(d.get("description", "")),
        sql=_sql_text(d.get("sql"), where),
        direction=direction,
        thresholds=thresholds,
        enabled=bool(d.get("enabled", True)),
        scope=scope,
        confidence=bool(d.get("confidence", False)),
    )


def load_indicator_set(path: str | Path | None = None) -> IndicatorSet:
    """The indicator set of a JSON file (default: the packaged ``indicators-2026.2``)."""
    p = Path(path) if path is not None else DEFAULT_PATH
    with p.open(encoding="utf-8") as fh:
        return IndicatorSet.from_dict(json.load(fh))


# ------------------------------------------------------------------------------- SQL macros


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months, the day clamped to the month's end."""
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_ord(d: date) -> int:
    """``year * 12 + month``: the month key the SQL ``{month_ord(d)}`` macro computes."""
    return d.year * 12 + d.month


def date_literal(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


def _num_literal(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IndicatorError(f"{where}: parameter is not a number")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise IndicatorError(f"{where}: parameter is not finite")
    return f"CAST('{value!r}' AS DOUBLE)"


def str_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _int_arg(arg: str, name: str) -> int:
    try:
        return int(arg.strip())
    except ValueError:
        raise IndicatorError(f"{{{name}(...)}} needs an integer, got {arg!r}") from None


@dataclass(frozen=True)
class SqlContext:
    """What the macros expand to: the dialect, the as-of date and the set's parameters."""

    dialect: str
    as_of: date
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise IndicatorError(f"unknown SQL dialect {self.dialect!r}")

    def expand(self, name: str, args: list[str] | None) -> str:
        macro = _MACROS.get(name)
        if macro is None:
            raise IndicatorError(f"unknown SQL macro {{{name}}}")
        return macro(self, args or [])

    def param(self, name: str) -> Any:
        if name not in self.parameters:
            raise IndicatorError(f"unknown parameter {name!r}")
        return self.parameters[name]


def _m_as_of(ctx: SqlContext, args: list[str]) -> str:
    return date_literal(ctx.as_of)


def _m_as_of_month(ctx: SqlContext, args: list[str]) -> str:
    return str(month_ord(ctx.as_of))


def _m_minus_months(ctx: SqlContext, args: list[str]) -> str:
    return date_literal(add_months(ctx.as_of, -_int_arg(args[0], "as_of_minus_months")))


def _m_plus_months(ctx: SqlContext, args: list[str]) -> str:
    return date_literal(add_months(ctx.as_of, _int_arg(args[0], "as_of_plus_months")))


def _m_minus_days(ctx: SqlContext, args: list[str]) -> str:
    return date_literal(ctx.as_of - timedelta(days=_int_arg(args[0], "as_of_minus_days")))


def _m_month_ord(ctx: SqlContext, args: list[str]) -> str:
    (d,) = args
    return f"(year({d}) * 12 + month({d}))"


def _m_days_between(ctx: SqlContext, args: list[str]) -> str:
    a, b = args
    if ctx.dialect == "duckdb":
        return f"date_diff('day', {a}, {b})"
    return f"datediff({b}, {a})"


def _m_param(ctx: SqlContext, args: list[str]) -> str:
    (name,) = args
    return _num_literal(ctx.param(name.strip()), name)


def _m_hpi_amplitude(ctx: SqlContext, args: list[str]) -> str:
    (expr,) = args
    table = ctx.param("hpi_amplitude")
    if not isinstance(table, Mapping):
        raise IndicatorError("hpi_amplitude must be an object")
    parts = [
        f"WHEN {str_literal(str(k))} THEN {_num_literal(float(v), 'hpi_amplitude')}"
        for k, v in sorted(table.items())
        if k != "*"
    ]
    default = _num_literal(float(table.get("*", 1.0)), "hpi_amplitude")
    return f"(CASE {expr} {' '.join(parts)} ELSE {default} END)"


def _m_ltv_cap(ctx: SqlContext, args: list[str]) -> str:
    ptype, region = args
    rows = ctx.param("ltv_cap")
    if not isinstance(rows, Sequence):
        raise IndicatorError("ltv_cap must be a list")

    def specificity(row: Mapping[str, Any]) -> tuple[int, float]:
        spec = (row["property_type"] != "*") * 2 + (row["region_kind"] != "*")
        return (-spec, float(row["cap"]))

    parts = []
    for row in sorted(rows, key=specificity):
        conds = []
        if row["property_type"] != "*":
            conds.append(f"{ptype} = {str_literal(str(row['property_type']))}")
        if row["region_kind"] != "*":
            conds.append(f"{region} = {str_literal(str(row['region_kind']))}")
        cond = " AND ".join(conds) or "1 = 1"
        parts.append(f"WHEN {cond} THEN {_num_literal(float(row['cap']), 'ltv_cap')}")
    return f"(CASE {' '.join(parts)} ELSE NULL END)"


_MACROS: Final[dict[str, Callable[[SqlContext, list[str]], str]]] = {
    "as_of": _m_as_of,
    "as_of_month": _m_as_of_month,
    "as_of_minus_months": _m_minus_months,
    "as_of_plus_months": _m_plus_months,
    "as_of_minus_days": _m_minus_days,
    "month_ord": _m_month_ord,
    "days_between": _m_days_between,
    "param": _m_param,
    "hpi_amplitude": _m_hpi_amplitude,
    "ltv_cap": _m_ltv_cap,
}
_ARITY: Final = {
    "as_of": 0,
    "as_of_month": 0,
    "as_of_minus_months": 1,
    "as_of_plus_months": 1,
    "as_of_minus_days": 1,
    "month_ord": 1,
    "days_between": 2,
    "param": 1,
    "hpi_amplitude": 1,
    "ltv_cap": 2,
}
_NAME_RE: Final = re.compile(r"[a-z_][a-z0-9_]*")


def _split_args(text: str) -> list[str]:
    args: list[str] = []
    depth = 0
    quote = False
    start = 0
    for i, ch in enumerate(text):
        if ch == "'":
            quote = not quote
        elif quote:
            continue
        elif ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
    args.append(text[start:].strip())
    return args


def render_sql(template: str, ctx: SqlContext) -> str:
    """Expand the ``{macro}`` / ``{macro(args)}`` placeholders (innermost first)."""
    out: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        ch = template[i]
        if ch == "'":  # copy string literals verbatim
            j = template.find("'", i + 1)
            while j != -1 and j + 1 < n and template[j + 1] == "'":
                j = template.find("'", j + 2)
            if j == -1:
                raise IndicatorError("unterminated string literal in SQL")
            out.append(template[i : j + 1])
            i = j + 1
            continue
        if ch != "{":
            if ch == "}":
                raise IndicatorError("unbalanced '}' in SQL")
            out.append(ch)
            i += 1
            continue
        m = _NAME_RE.match(template, i + 1)
        if m is None:
            raise IndicatorError(f"bad macro at {template[i : i + 20]!r}")
        name = m.group(0)
        j = m.end()
        args: list[str] | None = None
        if j < n and template[j] == "(":
            depth = 0
            k = j
            while k < n:
                if template[k] == "(":
                    depth += 1
                elif template[k] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            if k >= n:
                raise IndicatorError(f"unbalanced parentheses in macro {{{name}(...)}}")
            inner = render_sql(template[j + 1 : k], ctx)
            args = _split_args(inner)
            j = k + 1
        if j >= n or template[j] != "}":
            raise IndicatorError(f"macro {{{name}...}} not closed by '}}'")
        expected = _ARITY.get(name)
        got = len(args) if args is not None else 0
        if expected is not None and got != expected:
            raise IndicatorError(f"macro {{{name}}} takes {expected} argument(s), got {got}")
        out.append(ctx.expand(name, args))
        i = j + 1
    return "".join(out)


# ------------------------------------------------------------------------------- generated SQL

INDICATOR_VALUES_TABLE: Final = "mr_indicator_values"


def threshold_literal(value: float) -> str:
    return f"CAST('{float(value)!r}' AS DOUBLE)"


def level_case_sql(ind: Indicator, column: str = "value") -> str:
    """``CASE`` giving the raw level rank of ``column`` (the SQL twin of :func:`level_rank`)."""
    op = ">=" if ind.direction == "higher" else "<="
    whens = [
        f"WHEN {column} {op} {threshold_literal(t)} THEN {r}"
        for r, t in reversed(ind.thresholds.by_rank())
    ]
    return f"CASE {' '.join(whens)} ELSE 0 END"


STORED_ROWS: Final = "value IS NOT NULL AND (value <> 0 OR level_rank > 0)"
"""The indicator rows the run keeps and writes: a missing row means zero or not applicable."""


def _ranked_rows_sql(ind: Indicator, ctx: SqlContext, key: str, *, ordered: bool = True) -> str:
    body = render_sql(ind.sql, ctx)
    conf = "t.confidence" if ind.confidence else "'high'"
    inner = (
        f"SELECT CAST(t.borrower_id AS BIGINT) AS borrower_id, "
        f"CAST(t.loan_id AS BIGINT) AS loan_id, CAST(t.value AS DOUBLE) AS value, "
        f"CAST({conf} AS STRING) AS confidence\nFROM (\n{body}\n) t"
    )
    ranked = (
        f"SELECT u.borrower_id, u.loan_id, u.value, u.confidence, "
        f"{level_case_sql(ind, 'u.value')} AS raw_level_rank\nFROM (\n{inner}\n) u"
    )
    return (
        f"SELECT {key}, w.borrower_id, w.loan_id, w.value, "
        f"w.confidence, w.raw_level_rank, CASE WHEN w.confidence = 'low' AND w.raw_level_rank > "
        f"{LOW_CONFIDENCE_MAX_RANK} THEN {LOW_CONFIDENCE_MAX_RANK} ELSE w.raw_level_rank END "
        f"AS level_rank\nFROM (\n{ranked}\n) w"
        + ("\nORDER BY w.borrower_id, w.loan_id NULLS LAST" if ordered else "")
    )


def indicator_sql(ind: Indicator, ctx: SqlContext) -> str:
    """The indicator's rows in the common shape: ``indicator_id, borrower_id, loan_id, value,
    confidence, raw_level_rank, level_rank`` (low confidence capped at blue), sorted by borrower
    and loan."""
    return _ranked_rows_sql(ind, ctx, f"{str_literal(ind.id)} AS indicator_id")


def indicator_rows_sql(ind: Indicator, ctx: SqlContext, seq: int) -> str:
    """The rows the run stores in :data:`INDICATOR_VALUES_TABLE`: those of
    :func:`indicator_sql` that are kept (:data:`STORED_ROWS`: non-null, and non-zero or at a
    level), sorted by borrower and loan, with the indicator's position in the enabled set
    (``indicator_seq``, a SMALLINT) in place of its id. Millions of zero values are never
    stored, and the rows carry a small integer instead of a 10-30 character string;
    :func:`indicator_id_sql` turns it back into the id for the output files and
    :func:`indicator_counts_sql` counts what the indicator evaluated."""
    if not 0 <= seq < 2**15:
        raise IndicatorError(f"indicator position {seq} out of range")
    rows = _ranked_rows_sql(
        ind, ctx, f"CAST({seq} AS SMALLINT) AS indicator_seq", ordered=False
    )
    return (
        f"SELECT * FROM (\n{rows}\n) q\nWHERE {_qualified(STORED_ROWS, 'q')}\n"
        f"ORDER BY q.borrower_id, q.loan_id NULLS LAST"
    )


def _qualified(condition: str, alias: str) -> str:
    return re.sub(r"\b(value|level_rank)\b", rf"{alias}.\1", condition)


def indicator_counts_sql(indicators: Sequence[Indicator], ctx: SqlContext) -> str:
    """What each indicator evaluated, one row per indicator (``indicator_seq``, its position in
    ``indicators``): ``evaluated`` (rows), ``non_null`` (rows with a value) and
    ``low_confidence`` (rows matched by name only), over all of its rows, stored or not. One
    statement for the whole set."""
    parts = []
    for seq, ind in enumerate(indicators):
        rows = _ranked_rows_sql(ind, ctx, "1 AS one", ordered=False)
        parts.append(
            f"SELECT CAST({seq} AS SMALLINT) AS indicator_seq, COUNT(*) AS evaluated, "
            f"COUNT(c.value) AS non_null, "
            f"COALESCE(SUM(CASE WHEN c.confidence = 'low' THEN 1 ELSE 0 END), 0) "
            f"AS low_confidence FROM (\n{rows}\n) c"
        )
    if not parts:
        raise IndicatorError("no indicators")
    return "\nUNION ALL\n".join(parts)


def indicator_id_sql(indicators: Sequence[Indicator], column: str = "indicator_seq") -> str:
    """``CASE`` turning an ``indicator_seq`` (position in ``indicators``) into the id; the last
    id is the ``ELSE`` branch, so the engines know the result is never null."""
    ids = [i.id for i in indicators]
    if not ids:
        raise IndicatorError("no indicators")
    if len(ids) == 1:
        return str_literal(ids[0])
    whens = " ".join(f"WHEN {k} THEN {str_literal(iid)}" for k, iid in enumerate(ids[:-1]))
    return f"CASE {column} {whens} ELSE {str_literal(ids[-1])} END"


def view_sql(view: DerivedView, ctx: SqlContext) -> str:
    return render_sql(view.sql, ctx)


def stored_values_sql(
    as_of: date, indicators: Sequence[Indicator], table: str = INDICATOR_VALUES_TABLE
) -> str:
    """The indicator values written out: non-null and either non-zero or at a level (a missing
    row means zero or not applicable; the table holds only such rows, the filter is a guard),
    with the ids of ``indicators`` (the set the table's ``indicator_seq`` counts). Rows keep the
    table's order: indicators in set order, each sorted by borrower and loan by
    :func:`indicator_rows_sql` (re-sorting millions of rows here would double the cost of the
    write)."""
    return (
        f"SELECT {date_literal(as_of)} AS as_of, {indicator_id_sql(indicators)} AS indicator_id, "
        f"borrower_id, loan_id, value, confidence, raw_level_rank, level_rank FROM {table} "
        f"WHERE {STORED_ROWS}"
    )


def summary_sql(table: str = INDICATOR_VALUES_TABLE) -> str:
    """Per indicator (``indicator_seq``) with a stored row: its rows at each level (every row
    at a level is stored; the counts of :func:`indicator_counts_sql` give the rest)."""
    levels = ", ".join(
        f"SUM(CASE WHEN level_rank = {r} THEN 1 ELSE 0 END) AS {name}"
        for name, r in LEVEL_RANK.items()
    )
    return f"SELECT indicator_seq, {levels} FROM {table} GROUP BY indicator_seq"
