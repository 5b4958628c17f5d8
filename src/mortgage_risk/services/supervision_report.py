"""The quarterly supervision report (贷后监督季度报告): HTML for the browser, PDF for the file,
in Chinese, stamped with the check set versions and the period.

Every figure is taken as it stood at the end of the quarter (or today, for the quarter under
way): a finding's state and deadline are replayed from its actions up to that day, so a report
of a past quarter does not change when its findings are handled later.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from mortgage_risk.reports.render import render
from mortgage_risk.services.errors import PermissionDenied
from mortgage_risk.services.reports import write_report
from mortgage_risk.services.supervision import READERS as SUPERVISION_READERS
from mortgage_risk.services.supervision import (
    READERS_ONLY,
    active_checkset,
    finding_of,
    quarter_range,
)
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.supervision import AWAITING, SupervisionRepository
from mortgage_risk.storage.tables import FindingActionRow, FindingRow
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.supervision import (
    Finding,
    FindingSeverity,
    FindingStatus,
    ResponsibleRole,
    accountability,
)

QUARTER_ZH = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
METHOD_ZH = {"random": "随机抽样", "risk": "风险导向抽样"}
REASON_ZH = {"random": "随机", "override": "人工推翻", "exception": "检查异常",
             "early_default": "早期违约", "high_warning_officer": "客户经理预警率偏高"}
ROWS_LISTED = 200


@dataclass(frozen=True)
class _State:
    status: str
    deadline: date
    closed_on: date | None


def _on(action: FindingActionRow) -> date:
    raw = (action.data or {}).get("on")
    return date.fromisoformat(raw) if isinstance(raw, str) else action.at.date()


def _deadline(action: FindingActionRow) -> date | None:
    raw = (action.data or {}).get("deadline")
    return date.fromisoformat(raw) if isinstance(raw, str) else None


def state_at(row: FindingRow, actions: Sequence[FindingActionRow], day: date) -> _State:
    """The finding's status and deadline at the end of ``day`` (replayed from its actions)."""
    opening = next((a for a in actions if a.action == "open"), None)
    deadline = (_deadline(opening) if opening else None) or row.deadline
    status, closed = FindingStatus.OPEN.value, None
    for a in actions:
        if a.action == "open" or _on(a) > day:
            continue
        if a.action == "start":
            status = FindingStatus.RECTIFYING.value
        elif a.action == "rectify":
            status = FindingStatus.RECTIFIED.value
        elif a.action == "close":
            status, closed = FindingStatus.CLOSED.value, _on(a)
        elif a.action == "reopen":
            status, closed = FindingStatus.RECTIFYING.value, None
            deadline = _deadline(a) or deadline
    return _State(status, deadline, closed)


def _finding_at(row: FindingRow, actions: Sequence[FindingActionRow], day: date) -> Finding:
    kept = [a for a in actions if _on(a) <= day]
    state = state_at(row, actions, day)
    return replace(finding_of(row, kept), status=FindingStatus(state.status),
                   deadline=state.deadline)


def _by_group(rows: list[tuple[Any, FindingRow, _State]], start: date, end: date, as_of: date
              ) -> list[dict[str, Any]]:
    groups: dict[Any, Counter[str]] = defaultdict(Counter)
    for key, row, state in rows:
        c = groups[key]
        if start <= row.opened_on <= end:
            c["opened"] += 1
            c[f"opened_{row.severity}"] += 1
        if state.status in AWAITING:
            c["awaiting"] += 1
            if as_of > state.deadline:
                c["overdue"] += 1
        if state.closed_on is not None and start <= state.closed_on <= end:
            c["closed"] += 1
    return [{"key": k, **{f: c.get(f, 0) for f in (
        "opened", "opened_critical", "opened_high", "awaiting", "overdue", "closed")}}
        for k, c in sorted(groups.items(), key=lambda kv: (kv[0] is None, str(kv[0])))]


def quarterly_data(uow: UnitOfWork, user: CurrentUser, quarter: str,
                   today: date | None = None) -> dict[str, Any]:
    """Everything the quarterly report shows, as plain data."""
    if user.role not in SUPERVISION_READERS:
        raise PermissionDenied(READERS_ONLY, field="role")
    today = today or date.today()
    start, end = quarter_range(quarter)
    as_of = min(end, today)
    repo = SupervisionRepository(uow.session)
    checkset = active_checkset(uow)
    runs = list(reversed(repo.runs(since=start, until=end, limit=10_000)))
    latest = repo.latest_run(on_or_before=end)
    versions = sorted({r.checkset_version for r in runs}) or [checkset.version]
    rows = [r for r in repo.findings() if r.opened_on <= as_of]
    actions = repo.actions_of(r.id for r in rows)
    states = {r.id: state_at(r, actions.get(r.id, []), as_of) for r in rows}
    in_quarter = [r for r in rows if start <= r.opened_on <= end]
    branches = repo.branch_names()
    names = repo.full_names()

    titles: dict[str, str] = {c.id: c.title_zh for c in checkset.checks}
    by_check: dict[str, Counter[str]] = defaultdict(Counter)
    for r in in_quarter:
        titles.setdefault(r.check_id, r.title_zh)
        by_check[r.check_id][r.severity] += 1
    check_rows = [{"check_id": cid, "title_zh": titles[cid],
                   **{s.value: by_check[cid].get(s.value, 0) for s in FindingSeverity},
                   "total": sum(by_check[cid].values())}
                  for cid in sorted(titles) if by_check[cid] or cid in
                  {c.id for c in checkset.checks}]
    severity_totals = {s.value: sum(1 for r in in_quarter if r.severity == s.value)
                       for s in FindingSeverity}

    branch_rows = _by_group([(r.branch_id, r, states[r.id]) for r in rows], start, end, as_of)
    for b in branch_rows:
        b["name"] = branches.get(b["key"], ("联社（不属信用社）", ""))[0] \
            if b["key"] is not None else "联社（不属信用社）"
    officer_rows = _by_group([((r.facts or {}).get("officer"), r, states[r.id]) for r in rows
                              if (r.facts or {}).get("officer")], start, end, as_of)
    for o in officer_rows:
        o["name"] = names.get(str(o["key"]), str(o["key"]))

    awaiting = sorted((r for r in rows if states[r.id].status in AWAITING),
                      key=lambda r: (states[r.id].deadline, r.id))
    open_rows: list[dict[str, Any]] = []
    for r in awaiting:
        state = states[r.id]
        open_rows.append({
            "id": r.id, "check_id": r.check_id, "title_zh": r.title_zh,
            "severity_zh": FindingSeverity(r.severity).label_zh,
            "number": (r.facts or {}).get("number") or r.file_key,
            "branch": branches.get(r.branch_id, ("—", ""))[0] if r.branch_id else "—",
            "responsible": names.get(r.responsible, r.responsible),
            "role_zh": ResponsibleRole(r.responsible_role).label_zh,
            "deadline": state.deadline.isoformat(),
            "status_zh": FindingStatus(state.status).label_zh,
            "days_overdue": max(0, (as_of - state.deadline).days)})
    overdue = [o for o in open_rows if int(o["days_overdue"]) > 0]

    samples = []
    for s in reversed(repo.samples(since=start, until=end, limit=10_000)):
        found = repo.on_files(i["file_key"] for i in s.items)
        reasons = Counter(reason for i in s.items for reason in i.get("reasons", []))
        samples.append({
            "id": s.id, "as_of": s.as_of.isoformat(), "method_zh": METHOD_ZH.get(s.method,
                                                                                s.method),
            "seed": s.seed, "size": s.size, "drawn_by": names.get(s.drawn_by, s.drawn_by),
            "with_findings": sum(1 for i in s.items if found.get(i["file_key"])),
            "manual": sum(1 for i in s.items
                          if any(f.run_id is None for f in found.get(i["file_key"], []))),
            "reasons": "、".join(f"{REASON_ZH.get(k, k)} {v}" for k, v in reasons.most_common()),
            "version": s.checkset_version})

    stats = [] if latest is None else list((latest.summary.get("statistics") or {})
                                           .get("branch_id", []))
    for s in stats:
        s["name"] = branches.get(s.get("branch_id"), ("—", ""))[0]

    records = accountability([_finding_at(r, actions.get(r.id, []), as_of) for r in rows],
                             as_of=as_of)
    people = [{**rec.to_dict(), "name": names.get(rec.username, rec.username),
               "roles_zh": "、".join(ResponsibleRole(x).label_zh for x in rec.roles)}
              for rec in records]

    chain = verify_chain(uow.session)
    broken_runs = [{"id": r.id, "as_of": r.as_of.isoformat(),
                    "first_break": (r.summary.get("audit_chain") or {}).get("first_break")}
                   for r in runs if not r.chain_intact]
    closed_days = [states[r.id].closed_on for r in rows]
    closed_in_quarter = sum(1 for d in closed_days if d is not None and start <= d <= end)
    period = f"{start.year}年{QUARTER_ZH[(start.month - 1) // 3 + 1]}"
    return {
        "quarter": quarter.strip().upper(), "title_period": period,
        "start": start.isoformat(), "end": end.isoformat(), "as_of": as_of.isoformat(),
        "versions": versions, "active_version": checkset.version,
        "runs": [{"id": r.id, "as_of": r.as_of.isoformat(), "version": r.checkset_version,
                  "files": r.files_checked, "opened": r.findings_opened,
                  "chain_intact": r.chain_intact, "run_by": names.get(r.run_by, r.run_by)}
                 for r in runs],
        "latest_run": None if latest is None else {
            "id": latest.id, "as_of": latest.as_of.isoformat(),
            "files": latest.files_checked, "version": latest.checkset_version},
        "key": {"runs": len(runs), "opened": len(in_quarter),
                "critical": severity_totals["critical"], "high": severity_totals["high"],
                "closed": closed_in_quarter, "awaiting": len(open_rows),
                "overdue": len(overdue), "samples": len(samples),
                "sampled_files": sum(s["size"] for s in samples)},
        "severities": [{"value": s.value, "zh": s.label_zh, "n": severity_totals[s.value]}
                       for s in reversed(FindingSeverity)],
        "checks": check_rows, "branches": branch_rows, "officers": officer_rows,
        "open_rows": open_rows[:ROWS_LISTED], "open_total": len(open_rows),
        "overdue_total": len(overdue), "samples": samples, "statistics": stats,
        "people": people,
        "chain": {"records": chain.records, "intact": chain.first_break is None,
                  "first_break": None if chain.first_break is None else {
                      "record_id": chain.first_break.record_id,
                      "reason": chain.first_break.reason}},
        "broken_runs": broken_runs,
    }


def quarterly_html(uow: UnitOfWork, user: CurrentUser, quarter: str,
                   today: date | None = None) -> str:
    data = quarterly_data(uow, user, quarter, today)
    return render("supervision_quarterly.html", r=data,
                  severity_zh={s.value: s.label_zh for s in FindingSeverity})


def quarterly_report(uow: UnitOfWork, user: CurrentUser, quarter: str, out: Path,
                     today: date | None = None) -> Path:
    """Write the report to ``out``: ``.html`` or ``.pdf``."""
    return write_report(quarterly_html(uow, user, quarter, today), out)
