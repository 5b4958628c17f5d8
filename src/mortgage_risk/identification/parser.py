"""A Pratt parser for rule conditions: tokens in, a syntax tree out; never Python eval.

Binding, loosest first: ``or``, ``and``, ``not``, comparisons (chained, with ``in``,
``not in``, ``is None``, ``is not None``), ``+ -``, ``* / %``, unary ``- +``, then calls,
dotted names, literals, parentheses and lists ``(a, b)`` / ``[a, b]``.
"""

from __future__ import annotations

from mortgage_risk.identification.errors import RuleSyntaxError, line_column
from mortgage_risk.identification.functions import FUNCTIONS
from mortgage_risk.identification.lexer import Token, tokenize
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
    children,
)

_OR, _AND, _NOT, _CMP, _ADD, _MUL, _UNARY = 10, 20, 30, 40, 50, 60, 70
_CMP_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_CONSTANTS: dict[str, bool | None] = {"True": True, "true": True, "False": False,
                                      "false": False, "None": None, "none": None, "null": None}
MAX_DEPTH = 60


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "the end of the condition"
    return f"{tok.kind} {tok.text!r}" if tok.kind in ("number", "string") else repr(tok.text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def error(self, message: str, pos: int) -> RuleSyntaxError:
        return RuleSyntaxError(message, pos, text=self.text)

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_op(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    def is_kw(self, text: str) -> bool:
        return self.tok.kind == "keyword" and self.tok.text == text

    def expect_op(self, text: str, context: str) -> Token:
        if not self.is_op(text):
            raise self.error(f"expected {text!r} {context}, found {_describe(self.tok)}",
                             self.tok.pos)
        return self.advance()

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("empty condition", 0)
        node = self.expression(0)
        if self.tok.kind != "end":
            raise self.error(f"unexpected {_describe(self.tok)}", self.tok.pos)
        return node

    def infix_power(self) -> int:
        tok = self.tok
        if tok.kind == "keyword":
            if tok.text == "or":
                return _OR
            if tok.text == "and":
                return _AND
            if tok.text in ("in", "is") or (tok.text == "not" and self.peek().text == "in"):
                return _CMP
            return 0
        if tok.kind != "op":
            return 0
        if tok.text in _CMP_OPS:
            return _CMP
        if tok.text in ("+", "-"):
            return _ADD
        if tok.text in ("*", "/", "%"):
            return _MUL
        return 0

    def expression(self, min_power: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("condition nested too deeply", self.tok.pos)
        left = self.prefix()
        while (power := self.infix_power()) > min_power:
            if power == _CMP:
                left = self.comparison(left)
            elif power in (_OR, _AND):
                left = self.boolean(left, power)
            else:
                op = self.advance()
                right = self.expression(power)
                left = Binary(op.text, left, right, op.pos)
        self.depth -= 1
        return left

    def boolean(self, left: Node, power: int) -> Node:
        word = self.tok.text
        operands = [left]
        while self.is_kw(word):
            self.advance()
            operands.append(self.expression(power))
        return BoolOp(word, tuple(operands), _pos(left))

    def comparison_op(self) -> str | None:
        tok = self.tok
        if tok.kind == "op" and tok.text in _CMP_OPS:
            self.advance()
            return tok.text
        if tok.kind != "keyword":
            return None
        if tok.text == "in":
            self.advance()
            return "in"
        if tok.text == "not" and self.peek().text == "in":
            self.i += 2
            return "not in"
        if tok.text == "is":
            self.advance()
            if self.is_kw("not"):
                self.advance()
                return "is not"
            return "is"
        return None

    def comparison(self, left: Node) -> Node:
        operands, ops = [left], []
        while True:
            op = self.comparison_op()
            if op is None:
                break
            if op in ("is", "is not") and not (
                    self.tok.kind == "keyword" and self.tok.text in ("None", "none", "null")):
                raise self.error(f"only '{op} None' is allowed, found {_describe(self.tok)}",
                                 self.tok.pos)
            ops.append(op)
            operands.append(self.expression(_CMP))
        return Compare(tuple(operands), tuple(ops), _pos(left))

    def prefix(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            assert isinstance(tok.value, int | float)
            return Literal(tok.value, tok.pos)
        if tok.kind == "string":
            self.advance()
            return Literal(str(tok.value), tok.pos)
        if tok.kind == "keyword":
            if tok.text in _CONSTANTS:
                self.advance()
                return Literal(_CONSTANTS[tok.text], tok.pos)
            if tok.text == "not":
                self.advance()
                return Unary("not", self.expression(_NOT), tok.pos)
            raise self.error(f"expected a value, found {_describe(tok)}", tok.pos)
        if tok.kind == "name":
            return self.name_or_call()
        if tok.kind == "op":
            if tok.text in ("-", "+"):
                self.advance()
                return Unary(tok.text, self.expression(_UNARY), tok.pos)
            if tok.text in ("(", "["):
                return self.group()
        raise self.error(f"expected a value, found {_describe(tok)}", tok.pos)

    def name_or_call(self) -> Node:
        first = self.advance()
        path = [first.text]
        while self.is_op("."):
            dot = self.advance()
            if self.tok.kind != "name":
                raise self.error(f"expected a field name after '.', found {_describe(self.tok)}",
                                 self.tok.pos if self.tok.kind != "end" else dot.pos)
            path.append(self.advance().text)
        if not self.is_op("("):
            return Name(tuple(path), first.pos)
        func = ".".join(path)
        spec = FUNCTIONS.get(func)
        if spec is None:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function {func!r}; allowed: {allowed}", first.pos)
        self.advance()
        args: list[Node] = []
        while not self.is_op(")"):
            args.append(self.expression(0))
            if not self.is_op(","):
                break
            self.advance()
        self.expect_op(")", f"to close the call of {func}()")
        n = len(args)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            want = (str(spec.min_args) if spec.max_args == spec.min_args else
                    f"{spec.min_args} or more" if spec.max_args is None else
                    f"{spec.min_args} to {spec.max_args}")
            raise self.error(f"{func}() takes {want} argument(s), got {n}", first.pos)
        if func == "round" and n == 2 and not (
                isinstance(args[1], Literal) and type(args[1].value) is int):
            raise self.error("round(): the number of digits must be a whole-number literal",
                             _pos(args[1]))
        return Call(func, tuple(args), first.pos)

    def group(self) -> Node:
        open_tok = self.advance()
        close = ")" if open_tok.text == "(" else "]"
        items: list[Node] = []
        trailing_comma = False
        while not self.is_op(close):
            items.append(self.expression(0))
            trailing_comma = False
            if not self.is_op(","):
                break
            self.advance()
            trailing_comma = True
        line, column = line_column(self.text, open_tok.pos)
        self.expect_op(close, f"to close the {open_tok.text!r} at line {line}, column {column}")
        if open_tok.text == "(" and len(items) == 1 and not trailing_comma:
            return items[0]
        return ListExpr(tuple(items), open_tok.pos)


def _pos(node: Node) -> int:
    return node.pos


def _lists_in_place(node: Node, text: str, list_ok: bool = False) -> None:
    """A list may only be the last operand of a comparison after ``in`` / ``not in``."""
    if isinstance(node, ListExpr) and not list_ok:
        raise RuleSyntaxError("a list may only follow 'in' or 'not in'", node.pos, text=text)
    if isinstance(node, Compare):
        last = len(node.operands) - 1
        for i, operand in enumerate(node.operands):
            ok = i == last and node.ops[-1] in ("in", "not in")
            _lists_in_place(operand, text, ok)
        return
    for child in children(node):
        _lists_in_place(child, text, False)


def parse(text: str) -> Node:
    """The syntax tree of ``text``; RuleSyntaxError (with position) if it is not well formed."""
    node = _Parser(text).parse()
    _lists_in_place(node, text)
    return node
