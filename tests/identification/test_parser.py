"""The expression language: grammar, functions, errors with positions, and no eval."""

from __future__ import annotations

from datetime import date

import pytest

from mortgage_risk.domain.errors import DomainError
from mortgage_risk.identification import RuleSyntaxError, default_schema, parse_expression
from mortgage_risk.identification.parser import parse
from mortgage_risk.identification.syntax import (
    Binary,
    BoolOp,
    Call,
    Compare,
    ListExpr,
    Literal,
    Name,
    Unary,
    unparse,
)


def ev(text: str, **facts: object) -> object:
    return parse_expression(text).evaluate(facts)


def test_arithmetic_precedence() -> None:
    assert ev("1 + 2 * 3") == 7
    assert ev("(1 + 2) * 3") == 9
    assert ev("10 - 4 - 3") == 3
    assert ev("2 * 3 % 4") == 2
    assert ev("-2 * 3 + 10 / 4") == -3.5
    assert ev("- -3") == 3
    tree = parse("a + b * c")
    assert isinstance(tree, Binary) and tree.op == "+" and isinstance(tree.right, Binary)


def test_boolean_precedence() -> None:
    tree = parse("a or b and not c")
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert isinstance(tree.operands[1], BoolOp) and tree.operands[1].op == "and"
    assert isinstance(tree.operands[1].operands[1], Unary)
    assert ev("True or False and False") is True
    assert ev("not 1 > 2") is True  # not binds looser than comparisons
    assert ev("not x == 1 and y", x=1, y=True) is False
    assert isinstance(parse("a and b and c"), BoolOp) and len(parse("a and b and c").operands) == 3


def test_chained_comparisons() -> None:
    tree = parse("0 < x <= 10")
    assert isinstance(tree, Compare) and tree.ops == ("<", "<=")
    assert ev("0 < x <= 10", x=10) is True
    assert ev("0 < x <= 10", x=0) is False
    assert ev("1 < 2 < 3 < 4") is True and ev("1 < 3 < 2") is False
    assert ev("a == b == c", a=1, b=1, c=1) is True


def test_in_and_not_in() -> None:
    assert ev('t in ("shop", "office")', t="shop") is True
    assert ev('t in ["shop", "office"]', t="flat") is False
    assert ev('t not in ("shop", "office")', t="flat") is True
    assert ev("x in (1, 2, 3)", x=2.0) is True
    assert ev('"S1" in staff', staff=["S1", "S2"]) is True
    assert ev('"S9" not in staff', staff=["S1"]) is True
    assert ev('"ab" in s', s="cabd") is True
    assert ev("x in (1,)", x=1) is True and ev("x in ()", x=1) is False
    assert isinstance(parse("x in (1, 2)"), Compare)
    assert isinstance(parse("x in (1, 2)").operands[1], ListExpr)  # type: ignore[union-attr]


def test_is_none() -> None:
    assert ev("x is None") is True
    assert ev("x is None", x=1) is False
    assert ev("x is not None", x=0) is True
    assert ev("x is None", x=float("nan")) is True
    assert ev("x is not null", x="a") is True


def test_dotted_names_flat_and_nested() -> None:
    tree = parse("policy.dti_cap")
    assert tree == Name(("policy", "dti_cap"), 0)
    expr = parse_expression("dti > policy.dti_cap")
    assert expr.test({"dti": 0.6, "policy": {"dti_cap": 0.5}})
    assert expr.test({"dti": 0.6, "policy.dti_cap": 0.5})
    assert not expr.test({"dti": 0.4, "policy": {"dti_cap": 0.5}})
    assert not expr.test({"dti": 0.6})  # missing cap: the comparison is False
    assert expr.names == ("dti", "policy.dti_cap")


def test_literals() -> None:
    assert ev("'a\\'b'") == "a'b"
    assert ev('"x\\ny"') == "x\ny"
    assert ev("1.5e2") == 150 and ev(".5") == 0.5
    assert ev("true") is True and ev("False") is False and ev("None") is None


@pytest.mark.parametrize(("text", "facts", "expected"), [
    ("min(3, x, 2)", {"x": 5}, 2), ("min(x, 4)", {}, 4), ("min(x)", {}, None),
    ("max(x, 0)", {"x": -3}, 0), ("max(x, 0)", {}, 0), ("max(1, 2, 3)", {}, 3),
    ("abs(x)", {"x": -2.5}, 2.5), ("abs(x)", {}, None),
    ("round(x)", {"x": 2.5}, 2), ("round(x, 2)", {"x": 1.234}, 1.23), ("round(x, 1)", {}, None),
    ("len(s)", {"s": "abc"}, 3), ("len(s)", {"s": [1, 2]}, 2), ("len(s)", {}, None),
    ("count(s)", {"s": ["a", "b"]}, 2), ("count(s)", {}, 0), ("count(s)", {"s": 7}, 1),
    ("coalesce(x, 5)", {}, 5), ("coalesce(x, y, 1)", {"y": 2}, 2),
    ("coalesce(x, 5)", {"x": 0}, 0),
    ("days_between(a, b)", {"a": "2024-01-01", "b": date(2024, 3, 1)}, 60),
    ("days_between(a, b)", {"a": "2024-01-01"}, None),
    ("months_between(a, b)", {"a": date(2024, 1, 31), "b": date(2024, 2, 29)}, 0),
    ("months_between(a, b)", {"a": date(2024, 1, 15), "b": date(2025, 3, 15)}, 14),
    ("months_between(a, b)", {"a": date(2025, 3, 15), "b": date(2024, 1, 16)}, -13),
    ("lower(s)", {"s": "AbC"}, "abc"), ("lower(s)", {"s": 3}, None),
    ('date("2024-09-24")', {}, date(2024, 9, 24)), ('date("24/9/2024")', {}, None),
    ('d >= date("2024-09-24")', {"d": date(2024, 10, 1)}, True),
])
def test_every_function(text: str, facts: dict[str, object], expected: object) -> None:
    assert parse_expression(text).evaluate(facts) == expected


def test_missing_value_semantics() -> None:
    assert ev("x > 1") is False and ev("x <= 1") is False
    assert ev("x == 1") is False and ev("x != 1") is False
    assert ev("x + 1") is None and ev("x / 0", x=1) is None and ev("x % 0", x=1) is None
    assert ev("not x") is True  # missing is False in a true/false context
    assert ev("x in (1, 2)") is False and ev("x not in (1, 2)") is False
    assert ev('x == "1"', x=1) is False and ev('x != "1"', x=1) is True
    assert ev('x < "a"', x=1) is False
    assert ev("x + 1", x="a") is None


def test_unparse_roundtrip() -> None:
    for text in ("a + b * -c", "not (a or b) and c in (1, 2)", "x is not None",
                 'f == "q\\"t"', "min(a, 2) < b <= 3", "x in (1,)"):
        once = unparse(parse(text))
        assert unparse(parse(once)) == once


def error_of(text: str, schema: bool = True) -> RuleSyntaxError:
    with pytest.raises(RuleSyntaxError) as info:
        parse_expression(text, default_schema() if schema else None, field="rules[R12].condition")
    return info.value


def test_syntax_error_reports_the_column() -> None:
    error = error_of("dti >> 0.5")
    assert (error.line, error.column, error.position) == (1, 6, 5)
    assert isinstance(error, DomainError)
    assert error.field == "rules[R12].condition"
    assert "line 1, column 6" in error.reason
    assert error.excerpt.splitlines() == ["  dti >> 0.5", "       ^"]


@pytest.mark.parametrize(("text", "column", "fragment"), [
    ("dti > 0.5 and", 14, "expected a value"),
    ("(dti > 0.5", 11, "expected ')'"),
    ("dti > 0.5)", 10, "unexpected ')'"),
    ("dti = 0.5", 5, "use '=='"),
    ("dti > 0.5 && seized", 11, "use 'and'"),
    ('segment == "farmer', 12, "unterminated string"),
    ("dti > 5abc", 7, "malformed number"),
    ("dti ** 2 > 1", 5, "powers are not allowed"),
    ("seized is 1", 11, "only 'is None'"),
    ("dti + (1, 2) > 3", 7, "a list may only follow"),
    ("max(dti, (1, 2)) > 3", 10, "a list may only follow"),
    ("", 1, "empty condition"),
    ("dti > 0.5 @", 11, "unexpected character"),
    ("round(dti, x) > 1", 12, "whole-number literal"),
    ("abs(dti, 1) > 1", 1, "abs() takes 1 argument"),
    ("coalesce(dti) > 1", 1, "coalesce() takes 2 or more"),
    ("policy. > 1", 9, "expected a field name"),
])
def test_syntax_errors_with_position(text: str, column: int, fragment: str) -> None:
    error = error_of(text, schema=False)
    assert error.column == column, error.reason
    assert fragment in error.message


def test_multiline_position() -> None:
    error = error_of("dti > 0.5\n  and segment == 3 +")
    assert (error.line, error.column) == (2, 21)


@pytest.mark.parametrize(("text", "column", "fragment"), [
    ("dtii > 0.5", 1, "unknown field 'dtii'; did you mean 'dti'?"),
    ("dti > policy.dti_cab", 7, "unknown field 'policy.dti_cab'"),
    ("dti > 0.5 and frobnicate", 15, "unknown field 'frobnicate'"),
    ("sqrt(dti) > 1", 1, "unknown function 'sqrt'"),
    ('land_nature == "homestaed"', 16, "'homestaed' is not a value of field 'land_nature'"),
    ('property_type in ("shop", "flat")', 27, "'flat' is not a value"),
    ("segment + 1 > 2", 1, "'+' needs numbers"),
    ("dti > \"high\"", 7, "cannot order"),
    ("dti and seized", 1, "'and' joins true/false"),
    ("dti * 2", 1, "a condition must be true or false"),
    ("segment > \"a\"", 1, "enum"),
    ("days_between(dti, application_date) > 3", 14, "days_between() needs date"),
    ("lower(dti) == \"x\"", 7, "lower() needs string"),
])
def test_unknown_fields_functions_and_types(text: str, column: int, fragment: str) -> None:
    error = error_of(text)
    assert fragment in error.message, error.message
    assert error.column == column


def test_every_problem_is_collected() -> None:
    problems = parse_expression("dtii > 1 and segmnt == 2").check(default_schema())
    assert [p.column for p in problems] == [1, 14]


@pytest.mark.parametrize("text", [
    '__import__("os").system("true")',
    "x.__class__",
    "x.__class__.__bases__",
    "().__class__",
    '"".__class__',
    "_private > 1",
    "open(\"/etc/passwd\")",
    "eval(\"1\")",
    "exec(\"1\")",
    "getattr(x, \"y\")",
    "lambda: 1",
    "[x for x in y]",
    "x[0]",
    "x if y else z",
    "f\"{x}\"",
    "x; y",
])
def test_no_eval_and_no_attribute_access(text: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_expression(text, default_schema())


def test_dotted_access_never_reaches_python_attributes() -> None:
    class Sneaky:
        secret = 42

    expr = parse_expression("x.secret == 42")
    assert expr.evaluate({"x": Sneaky()}) is False
    assert parse_expression("x.keys is None").evaluate({"x": {"a": 1}}) is True


def test_nesting_limit() -> None:
    with pytest.raises(RuleSyntaxError, match="nested too deeply"):
        parse_expression("(" * 200 + "1" + ")" * 200)
    with pytest.raises(RuleSyntaxError, match="longer than"):
        parse_expression("x" * 5000)


def test_tree_nodes_are_frozen() -> None:
    node = parse("min(a, 1)")
    assert isinstance(node, Call) and isinstance(node.args[1], Literal)
    with pytest.raises(AttributeError):
        node.func = "max"  # type: ignore[misc]


def test_full_width_punctuation_hint() -> None:
    error = error_of("property_type in （\"shop\"）", schema=False)
    assert error.column == 18 and "ASCII '('" in error.message


def test_package_never_calls_eval_exec_or_compile() -> None:
    import ast
    from importlib.resources import files

    banned = {"eval", "exec", "compile", "__import__", "getattr", "setattr"}
    for resource in files("mortgage_risk.identification").iterdir():
        if not resource.name.endswith(".py"):
            continue
        tree = ast.parse(resource.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in banned, (resource.name, node.lineno, node.func.id)
