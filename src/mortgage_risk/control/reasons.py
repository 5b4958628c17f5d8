"""A reason or a condition of a decision, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

from mortgage_risk.control.enums import Recommendation


@dataclass(frozen=True)
class Reason:
    """One driver of the recommendation; ``effect`` is the recommendation it asks for."""

    code: str
    zh: str
    en: str
    effect: Recommendation = Recommendation.APPROVE


@dataclass(frozen=True)
class Condition:
    """Something that must be done before disbursement (附加条件)."""

    code: str
    zh: str
    en: str
