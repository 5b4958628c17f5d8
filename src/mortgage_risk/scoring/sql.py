"""Export a fitted scorecard as one SQL SELECT (SQLite, PostgreSQL, DuckDB, Spark SQL).

The query has, per model feature, one ``CASE`` giving its points (column ``pts_<feature>``)
and one giving its contribution to the linear predictor; then the total ``score`` (sum of the
points), ``lp`` (event log-odds: calibrated intercept + contributions) and
``pd = 1 / (1 + EXP(-lp))``. Bin rules follow :class:`FeatureBins`: NULL (and float NaN) go to
the missing bin; special values to the special bin; numerical splits with ``<`` (bin ``i``
holds ``splits[i-1] <= x < splits[i]``); categories by text ``IN`` lists; an unseen category
goes to the missing bin.

Numbers are written as shortest round-trip literals with an exponent (``1.5e0``), which every
dialect reads as a double or converts exactly, and each contribution is ``CAST`` to the
dialect's double type, so ``lp`` is the same sum of the same doubles as in Python and the score
(integer points) is identical. Only builds text: no database access here.

``EXP`` exists in PostgreSQL, DuckDB and Spark. In SQLite it needs a build with the math
functions (``SQLITE_ENABLE_MATH_FUNCTIONS``, default in the amalgamation since 3.35 and in
CPython's bundled SQLite); otherwise pass ``include_pd=False`` and compute the PD from ``lp`` in
the application, or register ``exp`` with ``connection.create_function("exp", 1, math.exp)``.
Categorical features fitted on numeric input are compared as text (``CAST(col AS TEXT)``);
integer codes match Python, float codes may not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_is_fitted

from mortgage_risk.scoring.bins import FeatureBins
from mortgage_risk.scoring.scorecard import Scorecard

DIALECTS = ("sqlite", "postgresql", "duckdb", "spark")


@dataclass(frozen=True)
class _Dialect:
    name: str
    quote_char: str
    double: str
    text: str

    def ident(self, name: str) -> str:
        q = self.quote_char
        return f"{q}{name.replace(q, q + q)}{q}"

    def string(self, value: str) -> str:
        escaped = value.replace("'", "''")
        if self.name == "spark":  # Spark reads backslash escapes inside string literals
            escaped = escaped.replace("\\", "\\\\")
        return f"'{escaped}'"

    def is_nan(self, col: str) -> str | None:
        if self.name == "postgresql":
            return f"CAST({col} AS DOUBLE PRECISION) = CAST('NaN' AS DOUBLE PRECISION)"
        if self.name == "duckdb":
            return f"isnan(CAST({col} AS DOUBLE))"
        if self.name == "spark":
            return f"isnan({col})"
        return None  # SQLite stores NaN as NULL


_DIALECTS = {
    "sqlite": _Dialect("sqlite", '"', "REAL", "TEXT"),
    "postgresql": _Dialect("postgresql", '"', "DOUBLE PRECISION", "TEXT"),
    "duckdb": _Dialect("duckdb", '"', "DOUBLE", "VARCHAR"),
    "spark": _Dialect("spark", "`", "DOUBLE", "STRING"),
}


def number(value: float | int) -> str:
    """A numeric SQL literal: integers as is, floats as shortest repr with an exponent."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"cannot write the non-finite number {v} as SQL")
    text = repr(v)
    return text if "e" in text else f"{text}e0"


def _case(fb: FeatureBins, values: np.ndarray, col: str, d: _Dialect) -> str:
    lit = [number(v.item() if isinstance(v, np.generic) else v) for v in values]
    missing_test = f"{col} IS NULL"
    lines = []
    if fb.kind == "numerical":
        nan = d.is_nan(col)
        if nan is not None:
            missing_test = f"{missing_test} OR {nan}"
        lines.append(f"WHEN {missing_test} THEN {lit[fb.missing_bin]}")
        if fb.special_values:
            specials = ", ".join(number(float(s)) for s in fb.special_values)
            lines.append(f"WHEN {col} IN ({specials}) THEN {lit[fb.special_bin]}")
        for i, split in enumerate(fb.splits):
            lines.append(f"WHEN {col} < {number(float(split))} THEN {lit[i]}")
        lines.append(f"ELSE {lit[fb.n_regular - 1]}")
    else:
        text = f"CAST({col} AS {d.text})"
        lines.append(f"WHEN {missing_test} THEN {lit[fb.missing_bin]}")
        if fb.special_values:
            specials = ", ".join(d.string(str(s)) for s in fb.special_values)
            lines.append(f"WHEN {text} IN ({specials}) THEN {lit[fb.special_bin]}")
        for i, group in enumerate(fb.categories):
            if group:
                labels = ", ".join(d.string(str(c)) for c in group)
                lines.append(f"WHEN {text} IN ({labels}) THEN {lit[i]}")
        lines.append(f"ELSE {lit[fb.missing_bin]}")
    body = "\n      ".join(lines)
    return f"CASE\n      {body}\n    END"


def to_sql(model: Scorecard, table: str = "applications", dialect: str = "sqlite", *,
           keep_columns: Sequence[str] = (), include_pd: bool = True,
           points_prefix: str = "pts_") -> str:
    """The scoring SELECT for ``model`` over ``table`` in ``dialect``.

    Output columns: ``keep_columns`` (e.g. the application id), ``<points_prefix><feature>``
    per feature, ``score``, ``lp`` and (with ``include_pd``) ``pd``. ``table`` is quoted per
    dot-separated part (``schema.table``).
    """
    check_is_fitted(model, "features_")
    if dialect not in _DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(map(repr, DIALECTS))}; "
                         f"got {dialect!r}")
    d = _DIALECTS[dialect]
    source = ".".join(d.ident(part) for part in str(table).split("."))
    keep = [d.ident(str(c)) for c in keep_columns]
    pts_cols = [d.ident(f"{points_prefix}{name}") for name in model.features_]

    inner: list[str] = list(keep)
    lp_terms = [f"CAST({number(model._b0)} AS {d.double})"]
    for name, pts_col in zip(model.features_, pts_cols, strict=True):
        fb = model.bins_[name]
        col = d.ident(name)
        points = model.points_[name]
        case = _case(fb, points, col, d)
        if not model.rounding:
            case = f"CAST({case} AS {d.double})"
        inner.append(f"{case} AS {pts_col}")
        contrib = _case(fb, model.contributions_[name], col, d)
        lp_terms.append(f"CAST({contrib} AS {d.double})")
    lp_col, score_col, pd_col = d.ident("lp"), d.ident("score"), d.ident("pd")
    inner.append(" +\n    ".join(lp_terms) + f" AS {lp_col}")

    outer: list[str] = [*keep, *pts_cols, " + ".join(pts_cols) + f" AS {score_col}", lp_col]
    if include_pd:
        outer.append(f"1e0 / (1e0 + EXP(-{lp_col})) AS {pd_col}")
    return (
        f"-- scorecard: {len(model.features_)} features, dialect {dialect}; "
        f"score = sum of points, pd = 1 / (1 + exp(-lp))\n"
        "SELECT\n  " + ",\n  ".join(outer) + "\n"
        "FROM (\n  SELECT\n    " + ",\n    ".join(inner) + "\n"
        f"  FROM {source}\n) AS {d.ident('scored')}"
    )
