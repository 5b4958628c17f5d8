"""Collateral valuation: cost, market, income approaches, value layers, eligibility, LGD."""

from mortgage_risk.valuation.cost import CostBuildup, CostIndication, cost_approach
from mortgage_risk.valuation.eligibility import Eligibility, check_eligibility
from mortgage_risk.valuation.income import IncomeIndication, IncomeInput
from mortgage_risk.valuation.layers import PriorityClaim, PriorityClaims, ValueLayers
from mortgage_risk.valuation.lgd import LgdResult
from mortgage_risk.valuation.market import Comparable, MarketIndication
from mortgage_risk.valuation.params import ValuationParams
from mortgage_risk.valuation.reconcile import Reconciliation
from mortgage_risk.valuation.subject import ObservedScores, SubjectProperty
from mortgage_risk.valuation.valuate import ValuationResult, valuate

__all__ = [
    "Comparable",
    "CostBuildup",
    "CostIndication",
    "Eligibility",
    "IncomeIndication",
    "IncomeInput",
    "LgdResult",
    "MarketIndication",
    "ObservedScores",
    "PriorityClaim",
    "PriorityClaims",
    "Reconciliation",
    "SubjectProperty",
    "ValuationParams",
    "ValuationResult",
    "ValueLayers",
    "check_eligibility",
    "cost_approach",
    "valuate",
]
