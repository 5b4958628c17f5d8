"""Errors of the rule language: each names the rule field and points at the offending column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mortgage_risk.domain.errors import DomainError


def line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of the character offset ``position`` in ``text``."""
    position = max(0, min(position, len(text)))
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return line, column


def caret_excerpt(text: str, position: int) -> str:
    """The line holding ``position`` and, under it, a caret at the offending column."""
    line_no, column = line_column(text, position)
    line = text.split("\n")[line_no - 1] if text else ""
    return f"  {line}\n  {' ' * (column - 1)}^"


class RuleSyntaxError(DomainError):
    """A rule condition that does not parse, or names an unknown field or function.

    ``position`` is the 0-based character offset in the condition; ``line`` and ``column`` are
    1-based. ``field`` is where the condition lives, e.g. ``rules[R12].condition``.
    """

    def __init__(self, message: str, position: int, *, text: str = "",
                 field: str = "condition") -> None:
        self.message = message
        self.position = position
        self.text = text
        self.line, self.column = line_column(text, position)
        self.excerpt = caret_excerpt(text, position) if text else ""
        reason = f"{message} (line {self.line}, column {self.column})"
        super().__init__(field, f"{reason}\n{self.excerpt}" if text else reason)

    def with_field(self, field: str) -> RuleSyntaxError:
        """The same error, placed at another field (e.g. ``rules[R12].condition``)."""
        return RuleSyntaxError(self.message, self.position, text=self.text, field=field)

    def with_text(self, text: str) -> RuleSyntaxError:
        return RuleSyntaxError(self.message, self.position, text=text, field=self.field)


@dataclass(frozen=True)
class RuleProblem:
    """One problem found when a rule set is validated; position fields are None if not textual."""

    rule_id: str | None
    field: str
    message: str
    position: int | None = None
    line: int | None = None
    column: int | None = None
    excerpt: str = ""

    @classmethod
    def from_syntax_error(cls, rule_id: str | None, error: RuleSyntaxError) -> RuleProblem:
        return cls(rule_id, error.field, error.message, error.position, error.line,
                   error.column, error.excerpt)

    def describe(self) -> str:
        where = "" if self.line is None else f" (line {self.line}, column {self.column})"
        return f"{self.field}: {self.message}{where}"

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "field": self.field, "message": self.message,
                "position": self.position, "line": self.line, "column": self.column,
                "excerpt": self.excerpt}


class RuleSetError(DomainError):
    """A refused rule set; ``problems`` lists every problem, the first names the field."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        if not problems:
            raise ValueError("RuleSetError needs at least one problem")
        self.problems = tuple(problems)
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        detail = first.message if first.line is None else (
            f"{first.message} (line {first.line}, column {first.column})")
        super().__init__(first.field, detail + more)
