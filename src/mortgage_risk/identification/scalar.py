"""Compile a syntax tree once into nested closures that evaluate one application's facts.

Facts are a mapping; a dotted name ``policy.dti_cap`` is looked up as the flat key first, then
through nested mappings (``facts["policy"]["dti_cap"]``). An absent fact is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mortgage_risk.identification import values as v
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
)

Facts = Mapping[str, Any]
Scalar = Callable[[Facts], v.Value]


def lookup(facts: Facts, path: tuple[str, ...], dotted: str) -> v.Value:
    if dotted in facts:
        return v.norm(facts[dotted])
    current: Any = facts
    for part in path:
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return v.norm(current)


def compile_scalar(node: Node) -> Scalar:
    """A function of the facts returning the value of ``node``."""
    if isinstance(node, Literal):
        const = v.norm(node.value)
        return lambda facts: const
    if isinstance(node, Name):
        path, dotted = node.path, node.dotted
        if len(path) == 1:
            key = path[0]
            return lambda facts: v.norm(facts.get(key))
        return lambda facts: lookup(facts, path, dotted)
    if isinstance(node, Unary):
        return _unary(node.op, compile_scalar(node.operand))
    if isinstance(node, Binary):
        left, right, op = compile_scalar(node.left), compile_scalar(node.right), node.op
        return lambda facts: v.arith(op, left(facts), right(facts))
    if isinstance(node, BoolOp):
        parts = tuple(compile_scalar(o) for o in node.operands)
        if node.op == "and":
            return lambda facts: all(v.truth(p(facts)) for p in parts)
        return lambda facts: any(v.truth(p(facts)) for p in parts)
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, ListExpr):
        items = tuple(compile_scalar(i) for i in node.items)
        return lambda facts: tuple(i(facts) for i in items)
    return _call(node)


def _unary(op: str, operand: Scalar) -> Scalar:
    if op == "not":
        return lambda facts: not v.truth(operand(facts))

    def sign(facts: Facts) -> v.Value:
        x = v.num(operand(facts))
        return None if x is None else (-x if op == "-" else x)
    return sign


def _link(op: str) -> Callable[[v.Value, v.Value], bool]:
    if op == "in":
        return v.contains
    if op == "not in":
        return lambda a, b: a is not None and b is not None and not v.contains(a, b)
    if op == "is":
        return lambda a, b: a is None
    if op == "is not":
        return lambda a, b: a is not None
    return lambda a, b: v.compare(op, a, b)


def _compare(node: Compare) -> Scalar:
    operands = tuple(compile_scalar(o) for o in node.operands)
    links = tuple(_link(op) for op in node.ops)
    if len(links) == 1:
        (first, second), (link,) = operands, links
        return lambda facts: link(first(facts), second(facts))

    def chain(facts: Facts) -> bool:
        left = operands[0](facts)
        for link, operand in zip(links, operands[1:], strict=True):
            right = operand(facts)
            if not link(left, right):
                return False
            left = right
        return True
    return chain


def _call(node: Call) -> Scalar:
    args = tuple(compile_scalar(a) for a in node.args)
    func = node.func
    if len(args) == 1:
        (only,) = args
        return lambda facts: v.call(func, [only(facts)])
    return lambda facts: v.call(func, [a(facts) for a in args])
