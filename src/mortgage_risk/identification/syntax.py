"""The syntax tree of a rule condition: frozen dataclasses, each with its source offset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

LiteralValue = float | int | str | bool | None

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not")


@dataclass(frozen=True)
class Literal:
    value: LiteralValue
    pos: int = 0


@dataclass(frozen=True)
class Name:
    """A fact, possibly dotted (``policy.dti_cap``); ``path`` holds the parts."""

    path: tuple[str, ...]
    pos: int = 0

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "+" or "not"
    operand: Node
    pos: int = 0


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/", "%"
    left: Node
    right: Node
    pos: int = 0


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" or "or"
    operands: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True)
class Compare:
    """A chain ``a < b <= c``: ``ops[i]`` joins ``operands[i]`` and ``operands[i + 1]``."""

    operands: tuple[Node, ...]
    ops: tuple[str, ...]
    pos: int = 0


@dataclass(frozen=True)
class ListExpr:
    items: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]
    pos: int = 0


Node = Literal | Name | Unary | Binary | BoolOp | Compare | ListExpr | Call


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, BoolOp | Compare):
        return node.operands
    if isinstance(node, ListExpr | Call):
        return node.items if isinstance(node, ListExpr) else node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def names(node: Node) -> tuple[Name, ...]:
    return tuple(n for n in walk(node) if isinstance(n, Name))


def unparse(node: Node) -> str:
    """Source text for ``node``, fully parenthesised: ``parse(unparse(t))`` gives ``t`` back."""
    if isinstance(node, Literal):
        v = node.value
        if v is None or isinstance(v, bool):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
                .replace("\t", "\\t") + '"'
        return repr(v)
    if isinstance(node, Name):
        return node.dotted
    if isinstance(node, Unary):
        sep = " " if node.op == "not" else ""
        return f"({node.op}{sep}{unparse(node.operand)})"
    if isinstance(node, Binary):
        return f"({unparse(node.left)} {node.op} {unparse(node.right)})"
    if isinstance(node, BoolOp):
        return "(" + f" {node.op} ".join(unparse(o) for o in node.operands) + ")"
    if isinstance(node, Compare):
        parts = [unparse(node.operands[0])]
        for op, right in zip(node.ops, node.operands[1:], strict=True):
            parts += [op, unparse(right)]
        return "(" + " ".join(parts) + ")"
    if isinstance(node, ListExpr):
        inner = ", ".join(unparse(i) for i in node.items)
        return f"({inner},)" if len(node.items) == 1 else f"({inner})"
    return f"{node.func}(" + ", ".join(unparse(a) for a in node.args) + ")"
