"""The production engines' parameter sets that grade the exercises.

Grading takes the same rule set, valuation parameters, monitoring policy, handling policy and
indicator set production runs with; :meth:`Engines.default` gives the shipped defaults, and a
service passes the active ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mortgage_risk.identification import RuleSet, default_ruleset
from mortgage_risk.monitoring.handling import HandlingPolicy
from mortgage_risk.monitoring.indicators import IndicatorSet, load_indicator_set
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.valuation import ValuationParams


@dataclass(frozen=True)
class Engines:
    rules: RuleSet
    valuation: ValuationParams
    monitoring: MonitoringPolicy
    handling: HandlingPolicy
    indicators: IndicatorSet

    @classmethod
    def default(cls) -> Engines:
        return _default()

    def versions(self) -> dict[str, str]:
        return {"rules": self.rules.version, "valuation_params": self.valuation.version,
                "monitoring_policy": self.monitoring.version,
                "warning_handling": self.handling.version,
                "indicators": self.indicators.version}


@lru_cache(maxsize=1)
def _default() -> Engines:
    return Engines(default_ruleset(), ValuationParams.load_default(),
                   MonitoringPolicy.load_default(), HandlingPolicy.load_default(),
                   load_indicator_set())
