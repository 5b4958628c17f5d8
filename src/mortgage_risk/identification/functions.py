"""The whitelist of functions a condition may call, with their arity and argument kinds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionSpec:
    """``max_args`` None: any number from ``min_args``. ``arg_kinds`` applies to every argument;
    ``"any"`` accepts all kinds. ``result`` is the static kind of the value returned."""

    name: str
    min_args: int
    max_args: int | None
    arg_kinds: tuple[str, ...]
    result: str
    doc: str


FUNCTIONS: dict[str, FunctionSpec] = {f.name: f for f in (
    FunctionSpec("min", 1, None, ("number",), "number",
                 "least of the numbers; missing arguments are ignored, all missing gives missing"),
    FunctionSpec("max", 1, None, ("number",), "number",
                 "greatest of the numbers; missing arguments are ignored"),
    FunctionSpec("abs", 1, 1, ("number",), "number", "absolute value"),
    FunctionSpec("round", 1, 2, ("number",), "number",
                 "round(x, n): half to even, n a whole-number literal (default 0)"),
    FunctionSpec("len", 1, 1, ("list", "string"), "number",
                 "items in a list or characters in a string; missing gives missing"),
    FunctionSpec("count", 1, 1, ("any",), "number",
                 "items in a list (a string or other present value counts its length or 1); "
                 "missing gives 0"),
    FunctionSpec("coalesce", 2, None, ("any",), "same",
                 "the first argument that is not missing"),
    FunctionSpec("days_between", 2, 2, ("date",), "number",
                 "days from the first date to the second"),
    FunctionSpec("months_between", 2, 2, ("date",), "number",
                 "whole calendar months from the first date to the second"),
    FunctionSpec("lower", 1, 1, ("string",), "string", "lower-case text"),
    FunctionSpec("date", 1, 1, ("string",), "date", "an ISO date, e.g. date(\"2024-09-24\")"),
)}
