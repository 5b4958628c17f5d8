"""Rule conditions: a small, safe expression language (never Python eval).

``dti > policy.dti_cap and not co_owner_consent``, ``property_type in ("shop", "office")``,
``max(bureau_max_dpd_24m, 0) >= 90``, ``months_since_purchase is None``. Text is tokenised and
parsed by hand into a tree of frozen dataclasses (:mod:`.syntax`), then compiled once into closures:
one set for a single application's facts (:mod:`.scalar`) and one for columns of many
(:mod:`.vector`). Semantics, including missing values, are in :mod:`.values`: in short, any
comparison with a missing value is False, arithmetic with it is missing, and in ``and`` /
``or`` / ``not`` missing counts as False.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mortgage_risk.identification import values
from mortgage_risk.identification.errors import RuleSyntaxError
from mortgage_risk.identification.facts import FactsSchema
from mortgage_risk.identification.parser import parse
from mortgage_risk.identification.scalar import Scalar, compile_scalar
from mortgage_risk.identification.syntax import Node, names
from mortgage_risk.identification.typecheck import check_types
from mortgage_risk.identification.vector import Columns, Vector, compile_vector, truth

__all__ = ["Expression", "RuleSyntaxError", "parse_expression"]


@dataclass(frozen=True)
class Expression:
    """A parsed condition with its compiled evaluators."""

    text: str
    tree: Node = field(repr=False)

    @cached_property
    def _scalar(self) -> Scalar:
        return compile_scalar(self.tree)

    @cached_property
    def _vector(self) -> Vector:
        return compile_vector(self.tree)

    @property
    def names(self) -> tuple[str, ...]:
        """The facts the condition reads, in order of first use."""
        return tuple(dict.fromkeys(n.dotted for n in names(self.tree)))

    def check(self, schema: FactsSchema) -> list[RuleSyntaxError]:
        """Every unknown field and type problem against ``schema`` (empty if none)."""
        return check_types(self.tree, self.text, schema)

    def evaluate(self, facts: Mapping[str, Any]) -> values.Value:
        """The value for one application's facts."""
        return self._scalar(facts)

    def test(self, facts: Mapping[str, Any]) -> bool:
        """True when the condition holds (missing counts as False)."""
        return values.truth(self._scalar(facts))

    def evaluate_columns(self, columns: Columns) -> NDArray[Any]:
        return self._vector(columns)

    def evaluate_frame(self, frame: pd.DataFrame | Mapping[str, Any],
                       extra: Mapping[str, Any] | None = None) -> NDArray[Any]:
        """The value for every row: a DataFrame, or a mapping of columns (numpy arrays or
        Series) and constants; ``extra`` supplies names missing from ``frame``."""
        return self._vector(Columns(frame, extra))

    def test_frame_columns(self, columns: Columns) -> NDArray[np.bool_]:
        return truth(self._vector(columns))

    def test_frame(self, frame: pd.DataFrame | Mapping[str, Any],
                   extra: Mapping[str, Any] | None = None) -> NDArray[np.bool_]:
        return truth(self._vector(Columns(frame, extra)))


def parse_expression(text: str, schema: FactsSchema | None = None, *,
                     field: str = "condition") -> Expression:
    """Parse ``text``; with ``schema``, also check fields and types. Raises RuleSyntaxError
    (a DomainError at ``field``) with the position of the first problem."""
    try:
        expression = Expression(text, parse(text))
        if schema is not None:
            problems = expression.check(schema)
            if problems:
                raise problems[0]
    except RuleSyntaxError as error:
        raise error.with_field(field) from None
    return expression
