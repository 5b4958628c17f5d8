"""Vectorised evaluation gives, row by row, exactly what scalar evaluation gives."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mortgage_risk.identification import parse_expression
from mortgage_risk.identification.syntax import (
    Binary,
    BoolOp,
    Call,
    Compare,
    ListExpr,
    Literal,
    Name,
    Node,
    Unary,
    unparse,
)

NUMBERS = st.one_of(st.none(), st.just(float("nan")), st.sampled_from([0, -0.0, 1, -1, 2.5, 90]),
                    st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False))
STRINGS = st.one_of(st.none(), st.sampled_from(["", "a", "B", "shop", "2024-02-29", "Ab"]))
BOOLS = st.one_of(st.none(), st.booleans())
DATES = st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2030, 12, 31)),
                  st.sampled_from([date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]))
LISTS = st.one_of(st.none(), st.lists(st.sampled_from(["a", "B", "shop"]), max_size=3))

ROW = st.fixed_dictionaries({"x": NUMBERS, "y": NUMBERS, "b": BOOLS, "s": STRINGS,
                             "t": STRINGS, "d1": DATES, "d2": DATES, "lst": LISTS})
NAMES = ("x", "y", "b", "s", "t", "d1", "d2", "lst", "policy.k")
LITERALS = st.one_of(st.integers(-5, 100), st.sampled_from([0.5, 2.5, -0.0, 1e3]),
                     st.sampled_from(["a", "B", "", "shop", "2024-02-29"]), st.booleans(),
                     st.none())


def _leaf() -> st.SearchStrategy[Node]:
    return st.one_of(st.sampled_from(NAMES).map(lambda n: Name(tuple(n.split(".")))),
                     LITERALS.map(Literal))


def _extend(inner: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    cmp_ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    calls = st.one_of(
        st.builds(lambda a, b: Call("min", (a, b)), inner, inner),
        st.builds(lambda a, b: Call("max", (a, b)), inner, inner),
        st.builds(lambda a: Call("abs", (a,)), inner),
        st.builds(lambda a, d: Call("round", (a, Literal(d))), inner, st.integers(0, 2)),
        st.builds(lambda a: Call("len", (a,)), inner),
        st.builds(lambda a: Call("count", (a,)), inner),
        st.builds(lambda a, b: Call("coalesce", (a, b)), inner, inner),
        st.builds(lambda a, b: Call("days_between", (a, b)), inner, inner),
        st.builds(lambda a, b: Call("months_between", (a, b)), inner, inner),
        st.builds(lambda a: Call("lower", (a,)), inner),
        st.builds(lambda a: Call("date", (a,)), inner),
    )
    return st.one_of(
        st.builds(lambda o, a: Unary(o, a), st.sampled_from(["-", "+", "not"]), inner),
        st.builds(lambda o, a, b: Binary(o, a, b), st.sampled_from(list("+-*/%")), inner, inner),
        st.builds(lambda o, xs: BoolOp(o, tuple(xs)), st.sampled_from(["and", "or"]),
                  st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda a, o, b: Compare((a, b), (o,)), inner, cmp_ops, inner),
        st.builds(lambda a, o1, b, o2, c: Compare((a, b, c), (o1, o2)),
                  inner, cmp_ops, inner, cmp_ops, inner),
        st.builds(lambda a, o, items: Compare((a, ListExpr(tuple(items))), (o,)),
                  inner, st.sampled_from(["in", "not in"]), st.lists(inner, max_size=3)),
        st.builds(lambda a, o, b: Compare((a, b), (o,)), inner,
                  st.sampled_from(["in", "not in"]), inner),
        st.builds(lambda a, o: Compare((a, Literal(None)), (o,)), inner,
                  st.sampled_from(["is", "is not"])),
        calls,
    )


EXPRESSIONS = st.recursive(_leaf(), _extend, max_leaves=12)


def _same(scalar: Any, vector: Any) -> bool:
    if scalar is None:
        if vector is None:
            return True
        if isinstance(vector, float):
            return math.isnan(vector)
        return isinstance(vector, np.datetime64) and bool(np.isnat(vector))
    if isinstance(scalar, bool | float):
        return isinstance(vector, bool | float | np.bool_ | np.floating) and \
            float(scalar) == float(vector)
    if isinstance(scalar, date):
        return bool(np.datetime64(scalar, "D") == vector) or vector == scalar
    return bool(scalar == vector)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("d1", "d2"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=EXPRESSIONS, rows=st.lists(ROW, min_size=1, max_size=12), k=NUMBERS)
def test_scalar_and_vectorised_agree(tree: Node, rows: list[dict[str, Any]], k: Any) -> None:
    text = unparse(tree)
    expr = parse_expression(text)
    frame = _frame(rows)
    policy = {"policy.k": k}
    vector = expr.evaluate_frame(frame, policy)
    truth = expr.test_frame(frame, policy)
    assert len(vector) == len(rows)
    for i in range(len(rows)):
        facts = {c: frame[c].iloc[i] for c in frame.columns} | {"policy": {"k": k}}
        scalar = expr.evaluate(facts)
        assert _same(scalar, vector[i]), (text, i, scalar, vector[i])
        assert expr.test(facts) == bool(truth[i]), (text, i)


@settings(max_examples=150, deadline=None)
@given(tree=EXPRESSIONS, rows=st.lists(ROW, min_size=1, max_size=6))
def test_plain_dict_rows_match_mapping_of_arrays(tree: Node, rows: list[dict[str, Any]]) -> None:
    """Facts given as raw Python values agree with the same values as columns of arrays."""
    expr = parse_expression(unparse(tree))
    columns: dict[str, Any] = {}
    for name in ("x", "y", "b", "s", "t", "d1", "d2", "lst"):
        col = np.empty(len(rows), dtype=object)
        for i, row in enumerate(rows):
            col[i] = row[name]
        columns[name] = col
    truth = expr.test_frame(columns)
    assert [expr.test(row) for row in rows] == truth.tolist()


def test_missing_semantics_vectorised() -> None:
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0], "s": ["a", None, "b"],
                          "b": [True, None, False]})
    expr = parse_expression("x != 1")
    assert expr.test_frame(frame).tolist() == [False, False, True]
    assert parse_expression('s != "a"').test_frame(frame).tolist() == [False, False, True]
    assert parse_expression("not b").test_frame(frame).tolist() == [False, True, True]
    assert parse_expression("x is None").test_frame(frame).tolist() == [False, True, False]
    assert parse_expression("missing_column > 0").test_frame(frame).tolist() == [False] * 3


def test_dtypes_are_normalised() -> None:
    frame = pd.DataFrame({
        "i": pd.array([1, None, 3], dtype="Int64"),
        "bb": pd.array([True, None, False], dtype="boolean"),
        "c": pd.Categorical(["shop", None, "office"]),
        "d": pd.to_datetime(["2024-01-01", None, "2024-03-01"]).tz_localize("Asia/Shanghai"),
        "s": pd.array(["a", None, "c"], dtype="string"),
    })
    assert parse_expression("i >= 1").test_frame(frame).tolist() == [True, False, True]
    assert parse_expression("bb").test_frame(frame).tolist() == [True, False, False]
    assert parse_expression('c in ("shop", "office")').test_frame(frame).tolist() == \
        [True, False, True]
    assert parse_expression('d > date("2024-02-01")').test_frame(frame).tolist() == \
        [False, False, True]
    assert parse_expression('s == "c"').test_frame(frame).tolist() == [False, False, True]
