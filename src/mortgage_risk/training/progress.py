"""Progress and scores of one staff member, topic by topic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from mortgage_risk.training.certification import Certification, certification_status
from mortgage_risk.training.config import TOPICS, TrainingConfig
from mortgage_risk.training.sets import AttemptResult


@dataclass(frozen=True)
class TopicProgress:
    topic: str
    attempts: int
    passed: int
    best: float | None
    latest: float | None
    latest_on: date | None
    certified: bool
    certified_until: date | None
    status_zh: str
    status_en: str

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "attempts": self.attempts, "passed": self.passed,
                "best": self.best, "latest": self.latest,
                "latest_on": None if self.latest_on is None else self.latest_on.isoformat(),
                "certified": self.certified,
                "certified_until": (None if self.certified_until is None
                                    else self.certified_until.isoformat()),
                "status_zh": self.status_zh, "status_en": self.status_en}


def staff_progress(attempts: Iterable[AttemptResult], records: Iterable[Certification],
                   user: str, on: date, config: TrainingConfig | None = None
                   ) -> tuple[TopicProgress, ...]:
    """Per topic: attempts, passes, best and latest total, certification on day ``on``."""
    mine = sorted((a for a in attempts if a.user == user and a.submitted_on <= on),
                  key=lambda a: a.submitted_on)
    certs = [r for r in records if r.user == user]
    out = []
    for topic in TOPICS:
        done = [a for a in mine if a.topic == topic]
        status = certification_status(certs, user, topic, on, config)
        out.append(TopicProgress(
            topic, len(done), sum(a.passed for a in done),
            max((a.total for a in done), default=None),
            done[-1].total if done else None, done[-1].submitted_on if done else None,
            status.certified, status.expires_on if status.certified else None,
            status.reason_zh, status.reason_en))
    return tuple(out)
