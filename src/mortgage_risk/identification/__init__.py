"""Risk identification: rule sets as versioned data, screened with a safe expression language.

Pure: no database, web or file I/O beyond the package's own default rules.
"""

from mortgage_risk.identification.dry_run import (
    DryRunReport,
    DryRunRow,
    RuleDelta,
    Transition,
    default_decide,
    dry_run,
)
from mortgage_risk.identification.errors import RuleProblem, RuleSetError, RuleSyntaxError
from mortgage_risk.identification.expression import Expression, parse_expression
from mortgage_risk.identification.facts import (
    Fact,
    FactProblem,
    FactsSchema,
    FactType,
    default_schema,
    validate_facts,
)
from mortgage_risk.identification.functions import FUNCTIONS
from mortgage_risk.identification.rules import (
    Category,
    Flag,
    Rule,
    RuleSet,
    Screening,
    Severity,
    default_ruleset,
    policy_values,
    screen,
    screen_frame,
    worst_severity_frame,
)

__all__ = [
    "FUNCTIONS", "Category", "DryRunReport", "DryRunRow", "Expression", "Fact", "FactProblem",
    "FactType", "FactsSchema", "Flag", "Rule", "RuleDelta", "RuleProblem", "RuleSet",
    "RuleSetError", "RuleSyntaxError", "Screening", "Severity", "Transition", "default_decide",
    "default_ruleset", "default_schema", "dry_run", "parse_expression", "policy_values",
    "screen", "screen_frame", "validate_facts", "worst_severity_frame",
]
