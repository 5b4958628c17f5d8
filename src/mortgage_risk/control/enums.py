"""The decision engine's enumerations, each value with its Chinese and English label."""

from __future__ import annotations

from enum import StrEnum


class Recommendation(StrEnum):
    """The engine's recommendation (审批结论), ordered from the mildest to the most severe."""

    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    REFER = "refer"
    DECLINE = "decline"

    @property
    def rank(self) -> int:
        return _RECOMMENDATION_ORDER.index(self)

    @property
    def label_zh(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


class AuthorityLevel(StrEnum):
    """Who may decide (授权审批层级), from the lowest to the highest authority."""

    BRANCH_OFFICER = "branch_officer"
    BRANCH_HEAD = "branch_head"
    CREDIT_COMMITTEE = "credit_committee"

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self)

    @property
    def label_zh(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]

    def next_up(self, steps: int = 1) -> AuthorityLevel:
        """The level ``steps`` above this one; the highest level stays the highest."""
        return _LEVEL_ORDER[min(self.rank + steps, len(_LEVEL_ORDER) - 1)]


class Severity(StrEnum):
    """Severity of an identification flag (风险信号), from the mildest."""

    INFO = "info"
    WARN = "warn"
    REFER = "refer"
    REJECT = "reject"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    @classmethod
    def parse(cls, raw: object, field: str = "severity") -> Severity:
        from mortgage_risk.domain import DomainError

        value = getattr(raw, "value", raw)
        try:
            return cls(str(value))
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise DomainError(field, f"unknown severity {raw!r}; allowed: {allowed}") from None


_RECOMMENDATION_ORDER: tuple[Recommendation, ...] = tuple(Recommendation)
_LEVEL_ORDER: tuple[AuthorityLevel, ...] = tuple(AuthorityLevel)
_SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)

_LABELS: dict[StrEnum, tuple[str, str]] = {
    Recommendation.APPROVE: ("同意", "approve"),
    Recommendation.APPROVE_WITH_CONDITIONS: ("附条件同意", "approve with conditions"),
    Recommendation.REFER: ("提交上级", "refer"),
    Recommendation.DECLINE: ("否决", "decline"),
    AuthorityLevel.BRANCH_OFFICER: ("支行客户经理/网点", "branch officer"),
    AuthorityLevel.BRANCH_HEAD: ("信用社主任", "branch head"),
    AuthorityLevel.CREDIT_COMMITTEE: ("县联社贷审会", "county union credit committee"),
}
