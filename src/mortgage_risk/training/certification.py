"""Certification by topic (岗位资格认证) and the gate that asks for it.

A passed attempt at a set certifies its user on the set's topic from the day it was submitted
for ``validity_months`` (training data); the certification holds on days before
``expires_on``. A gate maps an action to the topic it needs, e.g. ``{"submit_valuation":
"valuation"}``; an action no gate names is allowed.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.training.config import TOPICS, TrainingConfig, parse_gates
from mortgage_risk.training.sets import AttemptResult


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months (the last day of a shorter month when needed)."""
    index = day.year * 12 + day.month - 1 + months
    y, m = divmod(index, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


@dataclass(frozen=True)
class Certification:
    """``user`` is certified on ``topic`` from ``granted_on`` until the day before
    ``expires_on``; ``set_id`` and ``score`` name the attempt that earned it."""

    user: str
    topic: str
    granted_on: date
    expires_on: date
    set_id: str
    score: float
    config_version: str

    def __post_init__(self) -> None:
        if not self.user.strip():
            raise DomainError("certification.user", "must not be empty")
        if self.topic not in TOPICS:
            raise DomainError("certification.topic", f"unknown topic {self.topic!r}")
        if self.expires_on <= self.granted_on:
            raise DomainError("certification.expires_on", "must be after granted_on")

    def valid_on(self, day: date) -> bool:
        return self.granted_on <= day < self.expires_on

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "topic": self.topic,
                "granted_on": self.granted_on.isoformat(),
                "expires_on": self.expires_on.isoformat(), "set_id": self.set_id,
                "score": self.score, "config_version": self.config_version}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Certification:
        try:
            return cls(str(raw["user"]), str(raw["topic"]),
                       date.fromisoformat(str(raw["granted_on"])),
                       date.fromisoformat(str(raw["expires_on"])), str(raw.get("set_id", "")),
                       float(raw.get("score", 0.0)), str(raw.get("config_version", "")))
        except KeyError as exc:
            raise DomainError(f"certification.{exc.args[0]}", "is required") from None


def certify(result: AttemptResult, config: TrainingConfig | None = None
            ) -> Certification | None:
    """The certification a passed attempt earns (None when it did not pass)."""
    if not result.passed:
        return None
    config = config or TrainingConfig.load_default()
    return Certification(result.user, result.topic, result.submitted_on,
                         add_months(result.submitted_on, config.validity_months),
                         result.set_id, result.total, config.version)


@dataclass(frozen=True)
class Status:
    """Whether ``user`` holds ``topic`` on a day, and why not."""

    certified: bool
    topic: str
    expires_on: date | None
    reason_zh: str
    reason_en: str


def certification_status(records: Iterable[Certification], user: str, topic: str, on: date,
                         config: TrainingConfig | None = None) -> Status:
    if topic not in TOPICS:
        raise DomainError("topic", f"unknown topic {topic!r}; one of {', '.join(TOPICS)}")
    label = (config or TrainingConfig.load_default()).topics[topic]
    mine = [r for r in records if r.user == user and r.topic == topic and r.granted_on <= on]
    valid = [r for r in mine if r.valid_on(on)]
    if valid:
        until = max(r.expires_on for r in valid)
        return Status(True, topic, until, f"已取得{label.zh}认证，有效期至{until.isoformat()}之前",
                      f"certified in {label.en} until {until.isoformat()}")
    if mine:
        ended = max(r.expires_on for r in mine)
        return Status(False, topic, ended, f"{label.zh}认证已于{ended.isoformat()}到期",
                      f"the {label.en} certification expired on {ended.isoformat()}")
    return Status(False, topic, None, f"未取得{label.zh}认证",
                  f"not certified in {label.en}")


def is_certified(records: Iterable[Certification], user: str, topic: str, on: date) -> bool:
    """Whether ``user`` holds a valid certification on ``topic`` on day ``on``."""
    return certification_status(records, user, topic, on).certified


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    action: str
    topic: str | None
    reason_zh: str
    reason_en: str
    expired_on: date | None = None


def gate_allows(gates: Mapping[str, str], records: Iterable[Certification], user: str,
                action: str, on: date, config: TrainingConfig | None = None) -> GateDecision:
    """Whether ``user`` may take ``action`` on day ``on`` under ``gates`` (action → topic)."""
    topic = parse_gates(gates).get(action)
    if topic is None:
        return GateDecision(True, action, None, "该操作无需岗位资格认证",
                            "this action needs no certification")
    status = certification_status(records, user, topic, on, config)
    if status.certified:
        return GateDecision(True, action, topic, status.reason_zh, status.reason_en)
    expired = status.expires_on
    return GateDecision(False, action, topic, f"不能执行该操作：{status.reason_zh}",
                        f"not allowed: {status.reason_en}", expired)
