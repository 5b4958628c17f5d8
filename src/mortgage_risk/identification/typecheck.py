"""Check a condition against a facts schema: known fields, sensible types, allowed enum values.

Runs at save time. Kinds are number (booleans count as numbers in arithmetic), boolean, string,
enum (a string with allowed values), date, list and any (``None`` or an unknown field, already
reported). Every problem is collected with its position; checking goes on after an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from mortgage_risk.identification.errors import RuleSyntaxError
from mortgage_risk.identification.facts import Fact, FactsSchema, FactType
from mortgage_risk.identification.functions import FUNCTIONS
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
    walk,
)

_KIND = {FactType.NUMBER: "number", FactType.INTEGER: "number", FactType.BOOLEAN: "boolean",
         FactType.STRING: "string", FactType.ENUM: "enum", FactType.DATE: "date",
         FactType.LIST: "list"}
_NUMERIC = frozenset({"number", "boolean", "any"})
_TEXT = frozenset({"string", "enum", "any"})


@dataclass(frozen=True)
class _Type:
    kind: str
    label: str
    allowed: tuple[str, ...] = ()


_ANY = _Type("any", "a missing value")


class _Checker:
    def __init__(self, text: str, schema: FactsSchema) -> None:
        self.text = text
        self.schema = schema
        self.errors: list[RuleSyntaxError] = []

    def fail(self, message: str, node: Node) -> _Type:
        self.errors.append(RuleSyntaxError(message, node.pos, text=self.text))
        return _ANY

    def need(self, t: _Type, kinds: frozenset[str], what: str, node: Node) -> None:
        if t.kind not in kinds:
            self.fail(f"{what}, but {t.label} is {_article(t.kind)}", node)

    def check(self, node: Node) -> _Type:
        if isinstance(node, Literal):
            return _literal(node)
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Unary):
            t = self.check(node.operand)
            if node.op == "not":
                self.need(t, frozenset({"boolean", "any"}), "'not' needs true/false", node.operand)
                return _Type("boolean", "the 'not' expression")
            self.need(t, _NUMERIC, f"unary '{node.op}' needs a number", node.operand)
            return _Type("number", "the signed value")
        if isinstance(node, Binary):
            for side in (node.left, node.right):
                self.need(self.check(side), _NUMERIC, f"'{node.op}' needs numbers", side)
            return _Type("number", f"the '{node.op}' result")
        if isinstance(node, BoolOp):
            for operand in node.operands:
                self.need(self.check(operand), frozenset({"boolean", "any"}),
                          f"'{node.op}' joins true/false conditions", operand)
            return _Type("boolean", f"the '{node.op}' expression")
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, ListExpr):
            return self.fail("a list may only follow 'in' or 'not in'", node)
        return self.call(node)

    def name(self, node: Name) -> _Type:
        fact: Fact | None = self.schema.get(node.dotted)
        if fact is None:
            hint = self.schema.suggest(node.dotted)
            more = f"; did you mean {hint!r}?" if hint else ""
            return self.fail(f"unknown field {node.dotted!r}{more}", node)
        return _Type(_KIND[fact.type], f"field {fact.name!r}", fact.allowed)

    def compare(self, node: Compare) -> _Type:
        types = [self.check(o) if not isinstance(o, ListExpr) else _ANY for o in node.operands]
        for i, op in enumerate(node.ops):
            left, right = types[i], types[i + 1]
            left_node, right_node = node.operands[i], node.operands[i + 1]
            if op in ("is", "is not"):
                continue
            if op in ("in", "not in"):
                if isinstance(right_node, ListExpr):
                    for item in right_node.items:
                        self.equality(left, self.check(item), left_node, item)
                elif right.kind == "list" or (right.kind == "string" and left.kind in _TEXT):
                    continue
                elif right.kind != "any":
                    self.fail(f"'{op}' needs a list after it, but {right.label} is "
                              f"{_article(right.kind)}", right_node)
            elif op in ("==", "!="):
                self.equality(left, right, left_node, right_node)
            else:
                self.ordering(op, left, right, left_node, right_node)
        return _Type("boolean", "the comparison")

    def equality(self, left: _Type, right: _Type, left_node: Node, right_node: Node) -> None:
        for enum, other_node in ((left, right_node), (right, left_node)):
            if enum.kind == "enum" and isinstance(other_node, Literal) and isinstance(
                    other_node.value, str) and other_node.value not in enum.allowed:
                self.fail(f"{other_node.value!r} is not a value of {enum.label}; allowed: "
                          f"{', '.join(enum.allowed)}", other_node)
                return
        if "any" in (left.kind, right.kind) or _group(left.kind) == _group(right.kind):
            return
        self.fail(f"cannot compare {left.label} ({left.kind}) with {right.label} "
                  f"({right.kind})", right_node)

    def ordering(self, op: str, left: _Type, right: _Type, left_node: Node,
                 right_node: Node) -> None:
        for t, n in ((left, left_node), (right, right_node)):
            if t.kind in ("enum", "list", "boolean"):
                self.fail(f"'{op}' needs numbers, dates or text, but {t.label} is "
                          f"{_article(t.kind)}", n)
                return
        if "any" not in (left.kind, right.kind) and left.kind != right.kind:
            self.fail(f"cannot order {left.label} ({left.kind}) against {right.label} "
                      f"({right.kind})", right_node)

    def call(self, node: Call) -> _Type:
        spec = FUNCTIONS[node.func]
        types = [self.check(a) for a in node.args]
        accepted = set(spec.arg_kinds) | {"any"}
        if "number" in accepted:
            accepted.add("boolean")
        if "string" in accepted:
            accepted.add("enum")
        if node.func == "date":
            accepted = {"string", "any"}
        for t, arg in zip(types, node.args, strict=True):
            if "any" not in spec.arg_kinds and t.kind not in accepted:
                kinds = " or ".join(spec.arg_kinds)
                self.fail(f"{node.func}() needs {kinds}, but {t.label} is "
                          f"{_article(t.kind)}", arg)
        if spec.result != "same":
            return _Type(spec.result, f"{node.func}()")
        known = [t for t in types if t.kind != "any"]
        groups = {_group(t.kind) for t in known}
        if len(groups) > 1:
            return self.fail(f"{node.func}() arguments must be of one kind", node)
        return known[0] if known else _ANY


def _group(kind: str) -> str:
    return {"boolean": "number", "enum": "string"}.get(kind, kind)


def _article(kind: str) -> str:
    return {"any": "missing", "enum": "an enum", "list": "a list", "boolean": "true/false"}.get(
        kind, f"a {kind}")


def _literal(node: Literal) -> _Type:
    value = node.value
    if value is None:
        return _ANY
    if isinstance(value, bool):
        return _Type("boolean", repr(value))
    if isinstance(value, str):
        return _Type("string", repr(value))
    return _Type("number", repr(value))


def check_types(node: Node, text: str, schema: FactsSchema) -> list[RuleSyntaxError]:
    """Every problem of ``node`` against ``schema``; a condition must be true/false overall."""
    checker = _Checker(text, schema)
    result = checker.check(node)
    if result.kind not in ("boolean", "any") and not checker.errors:
        start = min(n.pos for n in walk(node))
        checker.errors.append(RuleSyntaxError(
            f"a condition must be true or false, but {result.label} is "
            f"{_article(result.kind)}", start, text=text))
    return checker.errors
