"""Rule-set work for risk managers: a dry run of a draft over past assessments."""

from __future__ import annotations

from datetime import date
from typing import Any

from mortgage_risk.domain import Role
from mortgage_risk.identification import RuleSet, dry_run
from mortgage_risk.services import parameters
from mortgage_risk.services.errors import Conflict
from mortgage_risk.services.users import CurrentUser, require_role
from mortgage_risk.storage.uow import UnitOfWork


def _facts(content: dict[str, Any]) -> dict[str, Any]:
    facts = dict(content.get("facts", {}))
    raw = facts.get("application_date")
    if isinstance(raw, str):
        facts["application_date"] = date.fromisoformat(raw[:10])
    return facts


def dry_run_draft(uow: UnitOfWork, user: CurrentUser, *, version: str, limit: int = 5000
                  ) -> dict[str, Any]:
    """How the draft rule set ``version`` would change decisions on past assessments, against
    the active set (the facts each assessment stored are screened again under both)."""
    require_role(user, Role.RISK_MANAGER, Role.ADMIN, Role.SUPERVISOR)
    draft = RuleSet.from_dict(parameters.get_set(uow, "identification_rules", version))
    current: RuleSet = parameters.active_typed(uow, "identification_rules")
    rows = uow.book.recent_assessments(limit)
    if not rows:
        raise Conflict("there are no past assessments to replay", field="version")
    latest: dict[int, dict[str, Any]] = {}
    for application_id, content in rows:
        latest.setdefault(application_id, _facts(content))
    report = dry_run(list(latest.values()), current, draft)
    data = report.to_dict()
    keys = list(latest)
    for row in data["rows"]:
        row["application_id"] = keys[int(row.pop("key"))]
    return data
