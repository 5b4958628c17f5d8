"""Post-loan supervision in the system (贷后监督): the compliance checks run over every loan
file and over the audit chain, findings with a responsible staff member and a rectification
deadline, their follow-up and closing by a supervisor, samples of files for manual review,
accountability per staff member and statistics per branch and officer.

The checks are the active ``supervision_checks`` parameter set (versioned, drafted and
activated by two people like the identification rules; the shipped default is
``supervision/data/checks-default.json``). The rules are the pure package
(:mod:`mortgage_risk.supervision`); this module feeds it from storage
(:mod:`mortgage_risk.storage.supervision`) and keeps the findings. Every command is one
transaction with its audit record; a refused command writes nothing.

Which checks apply to which file: every enabled loan-file check to a *system file* (an
application that went through the system's origination); to a *book file* (a loan loaded with
the book, with or without an application header, that the system's origination never saw) only
the checks that read nothing but the loan as it stands and its warnings (:data:`BOOK_FACTS`:
the class against the days past due, warnings handled on time, early defaults ...), because
the system holds none of its origination records. The audit-chain checks run once per run on
a walk of the whole audit log; the first active administrator answers for the log.

A run opens a finding for each failed check on each file unless a finding for the same check
and file is still unclosed, or the latest one was closed on the very same facts (a breach of
the past, such as a disbursement before registration, stays a fact: once a supervisor has
closed it, a re-run does not open it again; a new breach on the same file does). A failed
check whose file names nobody for the responsible role is not opened: the run reports it as
unassigned, for a supervisor to open by hand naming the person.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from mortgage_risk.control.enums import AuthorityLevel
from mortgage_risk.domain import DomainError, Role
from mortgage_risk.services import parameters
from mortgage_risk.services.classification import monitoring_policy
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.forms import Problem, refuse
from mortgage_risk.services.origination import ROLE_LEVEL
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.services.warnings import handling_policy
from mortgage_risk.storage.audit import canonical, verify_chain
from mortgage_risk.storage.supervision import (
    AUDIT_FILE_KEY,
    AWAITING,
    SYSTEM,
    UNCLOSED,
    FileRecord,
    SupervisionRepository,
    application_key,
    loan_key,
)
from mortgage_risk.storage.tables import FindingActionRow, FindingRow, SupervisionRunRow
from mortgage_risk.storage.tables import SupervisionSampleRow as SampleRow
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.supervision import (
    CheckSet,
    Finding,
    FindingDraft,
    FindingEvent,
    FindingSeverity,
    FindingStatus,
    LoanFile,
    ResponsibleRole,
    StaffRef,
    check_audit_chain,
    file_facts,
    open_finding,
    random_sample,
    responsible_staff,
    risk_sample,
)
from mortgage_risk.supervision import accountability as pure_accountability
from mortgage_risk.supervision import statistics as pure_statistics
from mortgage_risk.supervision.statistics import findings_frame, warnings_frame

KIND: Final = "supervision_checks"
#: Roles that read all of supervision, run the checks and draw samples.
READERS: Final = frozenset({Role.SUPERVISOR, Role.RISK_MANAGER, Role.ADMIN})
#: Branch roles: they see their branch's findings (and any they answer for) and their own
#: accountability record.
BRANCH_ROLES: Final = frozenset({Role.LOAN_OFFICER, Role.REVIEWER, Role.APPROVER})
#: The facts a book file can establish (its loan as it stands and its warnings): a check that
#: reads only these (and the check set's ``policy.*`` parameters) applies to book files.
BOOK_FACTS: Final = frozenset({
    "has_loan", "origination_date", "months_on_book", "loan_status", "five_category", "dpd",
    "category_rank", "dpd_floor_rank", "early_default", "warnings_count",
    "warnings_late_count", "warnings_open_count"})
METHODS: Final = ("random", "risk")
MAX_SAMPLE: Final = 2000
MAX_SEED: Final = 2**31 - 1
#: Unassigned failed checks listed in a run's summary (all are counted).
UNASSIGNED_LISTED: Final = 500
#: Unreadable files listed in a run's summary (all are counted).
UNREADABLE_LISTED: Final = 100
MAX_TEXT: Final = 2000
ACTIONS: Final = ("start", "rectify", "close", "reopen")
ROLE_LEVELS: Final = {r.value: lv.value for r, lv in ROLE_LEVEL.items()}

# Reasons in English; each is also the msgid of its translation on the pages.
NOT_A_READER = ("supervision is read by the supervisor, the risk department and the branches "
                "(their own findings)")
READERS_ONLY = "only the supervisor, the risk department or an administrator may do this"
MANUAL_ONLY = "only a supervisor records a finding from a manual review"

Progress = Callable[[str, int, int], None]


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- input schemas


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: date | None = Field(default=None, description="Day the files are checked as of "
                                                         "(default: today)")


class SampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["random", "risk"]
    n: int = Field(ge=1, le=MAX_SAMPLE)
    seed: int = Field(ge=0, le=MAX_SEED)
    as_of: date | None = None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=MAX_TEXT)


class RectifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    evidence: list[str] = Field(default_factory=list, max_length=50,
                                description="Documents, photos or record numbers")
    note: str = Field(default="", max_length=MAX_TEXT)


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=MAX_TEXT)
    deadline: date | None = Field(default=None, description="New rectification deadline "
                                                            "(default: the old one)")


class ManualFindingIn(BaseModel):
    """A finding from a manual review. ``responsible``, ``deadline`` and ``task`` are checked
    by the service, so a missing one is refused naming that field."""

    model_config = ConfigDict(extra="forbid")
    check_id: str | None = Field(default=None, max_length=32)
    severity: str | None = None
    title_zh: str | None = Field(default=None, max_length=200)
    title_en: str | None = Field(default=None, max_length=200)
    application_id: int | None = None
    loan_id: int | None = None
    responsible: str | None = Field(default=None, max_length=64)
    responsible_role: str | None = None
    deadline: date | None = None
    task: str | None = Field(default=None, max_length=MAX_TEXT)
    note: str = Field(default="", max_length=MAX_TEXT)


# --------------------------------------------------------------------------- helpers


def active_checkset(uow: UnitOfWork) -> CheckSet:
    """The active check set (the shipped default installed on first use)."""
    checkset: CheckSet = parameters.active_typed(uow, KIND)
    return checkset


def _repo(uow: UnitOfWork) -> SupervisionRepository:
    return SupervisionRepository(uow.session)


def _require_reader(user: CurrentUser) -> None:
    if user.role not in READERS:
        raise PermissionDenied(READERS_ONLY, field="role")


def _scope(user: CurrentUser) -> tuple[int | None, str | None]:
    """(branch, username) a user's reading is limited to; (None, None): everything."""
    if user.role in READERS:
        return None, None
    if user.role in BRANCH_ROLES:
        return (user.branch_id if user.branch_id is not None else -1), user.username
    raise PermissionDenied(NOT_A_READER, field="role")


def _book_applies(names: Iterable[str]) -> bool:
    return all(n in BOOK_FACTS for n in names if not n.startswith("policy."))


def _domain(exc: DomainError) -> Exception:
    """A refused step of the pure finding as the service error it is."""
    if exc.field == "by":
        return PermissionDenied(exc.reason, field="user")
    if exc.field == "status":
        return Conflict(exc.reason, field="status")
    return InvalidInput(exc.reason, field=exc.field)


def _signature(read: Mapping[str, Any]) -> dict[str, Any]:
    """The facts that make a breach the same breach (the audit walk's length grows)."""
    return {k: v for k, v in read.items() if k != "audit_records"}


def _ranges(ids: Sequence[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for i in sorted(ids):
        if out and out[-1][1] + 1 == i:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _plain_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.reset_index().to_dict("records"):
        clean: dict[str, Any] = {}
        for k, v in row.items():
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float) and np.isnan(v):
                v = None
            clean[str(k)] = v
        out.append(clean)
    return out


# --------------------------------------------------------------------------- the files


@dataclass
class Evaluation:
    """Every readable file with its facts, and each failed check as a draft."""

    records: list[FileRecord]
    files: list[LoanFile]
    facts: list[dict[str, Any]]
    drafts: list[tuple[int, FindingDraft]]
    unreadable: list[dict[str, Any]]
    applied: dict[str, list[str]]


def evaluate_files(uow: UnitOfWork, checkset: CheckSet, as_of: date,
                   progress: Progress | None = None) -> Evaluation:
    """Build every loan file (bulk queries) and run the loan-file checks that apply to it."""
    if progress:
        progress("read files", 0, 1)
    records = _repo(uow).loan_files(role_levels=ROLE_LEVELS,
                                    levels=[lv.value for lv in AuthorityLevel])
    if progress:
        progress("read files", 1, 1)
    policy = monitoring_policy()
    params = checkset.fact_parameters
    base = checkset.environment
    compiled = checkset.compiled_for("loan_file")
    book = tuple((c, e) for c, e in compiled if _book_applies(e.names))
    kept: list[FileRecord] = []
    files: list[LoanFile] = []
    facts: list[dict[str, Any]] = []
    drafts: list[tuple[int, FindingDraft]] = []
    unreadable: list[dict[str, Any]] = []
    total = len(records)
    for i, rec in enumerate(records):
        if progress and i % 2000 == 0:
            progress("check files", i, total)
        try:
            file = LoanFile.from_dict(rec.data)
            env = file_facts(file, as_of=as_of, parameters=params, policy=policy)
        except DomainError as exc:
            unreadable.append({"file_key": rec.key, "field": exc.field, "reason": exc.reason})
            continue
        index = len(kept)
        kept.append(rec)
        files.append(file)
        facts.append(env)
        full = base | env
        for check, expression in (compiled if rec.origin == SYSTEM else book):
            if not expression.test(full):
                continue
            read = {name: full.get(name) for name in expression.names}
            drafts.append((index, FindingDraft(
                check_id=check.id, checkset_version=checkset.version, severity=check.severity,
                title_zh=check.title_zh, title_en=check.title_en, regulation=check.regulation,
                responsible_role=check.responsible_role,
                responsible=responsible_staff(file, check.responsible_role, as_of=as_of),
                detected_on=as_of, file_id=file.file_id, branch_id=rec.branch_id,
                officer=rec.officer, facts=read,
                detail="; ".join(f"{k}={v}" for k, v in read.items()))))
    if progress:
        progress("check files", total, total)
    return Evaluation(kept, files, facts, drafts, unreadable,
                      {"system": [c.id for c, _ in compiled], "book": [c.id for c, _ in book]})


def _statistics_snapshot(ev: Evaluation, drafts: Sequence[FindingDraft], as_of: date
                         ) -> dict[str, list[dict[str, Any]]]:
    files = pd.DataFrame({
        "file_id": [r.key for r in ev.records],
        "branch_id": [r.branch_id for r in ev.records],
        "officer": [r.officer for r in ev.records],
        "override": [bool(f["override"]) for f in ev.facts],
        "early_default": [bool(f["early_default"]) for f in ev.facts]})
    warnings = warnings_frame(ev.files, as_of=as_of)
    found = findings_frame([d for d in drafts if d.file_id is not None])
    return {by: _plain_rows(pure_statistics(files, found, warnings, by=by))
            for by in ("branch_id", "officer")}


# --------------------------------------------------------------------------- the run


def _finding_row(draft: FindingDraft, finding: Finding, rec: FileRecord | None, *,
                 run_id: int | None, opened_on: date, as_of: date, source: str,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    facts = {"read": canonical(dict(draft.facts)), "detail": draft.detail,
             "regulation": draft.regulation, "officer": draft.officer, "as_of": as_of,
             "source": source, "number": None if rec is None else rec.number,
             "origin": None if rec is None else rec.origin,
             "officer_source": None if rec is None else rec.officer_source, **(extra or {})}
    return {
        "run_id": run_id, "check_id": draft.check_id, "severity": draft.severity.value,
        "title_zh": draft.title_zh[:200], "title_en": draft.title_en[:200],
        "file_key": AUDIT_FILE_KEY if rec is None else rec.key,
        "application_id": None if rec is None else rec.application_id,
        "loan_id": None if rec is None else rec.loan_id,
        "branch_id": None if rec is None else rec.branch_id,
        "responsible": finding.responsible.username,
        "responsible_role": finding.responsible.role.value, "opened_on": opened_on,
        "deadline": finding.deadline, "status": FindingStatus.OPEN.value,
        "facts": canonical(facts), "checkset_version": draft.checkset_version,
        "evidence": None, "rectified_on": None, "closed_by": None, "closed_on": None,
        "note": finding.task}


def run_supervision(uow: UnitOfWork, user: CurrentUser, as_of: date, *,
                    today: date | None = None, progress: Progress | None = None
                    ) -> dict[str, Any]:
    """Run the active check set over every loan file and the audit chain as of ``as_of``;
    open the new findings (rectification deadlines counted from ``today``), record the run
    with its counts and versions and one audit record, commit; returns the run's summary."""
    if user.role not in READERS:
        raise PermissionDenied(READERS_ONLY, field="role")
    today = today or date.today()
    if as_of > today:
        raise InvalidInput("must not be in the future", field="as_of")
    started = time.perf_counter()
    checkset = active_checkset(uow)
    calendar = handling_policy().calendar
    repo = _repo(uow)
    # the audit log is walked before this run writes anything to it
    chain = verify_chain(uow.session)
    ev = evaluate_files(uow, checkset, as_of, progress)
    custodian = repo.audit_custodian()
    audit_drafts = check_audit_chain(chain, checkset, detected_on=as_of, custodian=custodian)
    candidates: list[tuple[FileRecord | None, FindingDraft]] = \
        [(ev.records[i], d) for i, d in ev.drafts] + [(None, d) for d in audit_drafts]

    run = SupervisionRunRow(
        as_of=as_of, checkset_version=checkset.version, files_checked=len(ev.records),
        findings_opened=0, findings_seen=0, chain_intact=chain.first_break is None,
        summary={}, run_by=user.username, run_at=_now())
    repo.add(run)
    existing = repo.existing()
    rows: list[dict[str, Any]] = []
    seen = closed_same = 0
    unassigned: list[dict[str, Any]] = []
    unassigned_by: Counter[str] = Counter()
    for i, (rec, draft) in enumerate(candidates):
        if progress and i % 5000 == 0:
            progress("open findings", i, len(candidates))
        key = AUDIT_FILE_KEY if rec is None else rec.key
        history = existing.get((draft.check_id, key), [])
        if any(status in UNCLOSED for status, _ in history):
            seen += 1
            continue
        read = canonical(dict(draft.facts))
        if history and _signature(history[-1][1].get("read") or {}) == _signature(read):
            closed_same += 1
            continue
        if draft.responsible is None:
            unassigned_by[draft.check_id] += 1
            if len(unassigned) < UNASSIGNED_LISTED:
                unassigned.append({
                    "check_id": draft.check_id, "severity": draft.severity.value,
                    "file_key": key, "number": None if rec is None else rec.number,
                    "branch_id": None if rec is None else rec.branch_id,
                    "application_id": None if rec is None else rec.application_id,
                    "loan_id": None if rec is None else rec.loan_id,
                    "responsible_role": draft.responsible_role.value})
            continue
        finding = open_finding(replace(draft, detected_on=today), checkset.rectification,
                               calendar)
        rows.append(_finding_row(draft, finding, rec, run_id=run.id, opened_on=today,
                                 as_of=as_of, source="check"))
    ids = repo.add_findings(rows)
    now = _now()
    repo.add_actions([{"finding_id": fid, "action": "open", "actor": user.username, "at": now,
                       "note": "", "data": {"on": today.isoformat(), "run_id": run.id,
                                            "deadline": row["deadline"].isoformat(),
                                            "source": "check"}}
                      for fid, row in zip(ids, rows, strict=True)])
    uow.session.flush()
    if progress:
        progress("open findings", len(candidates), len(candidates))

    opened_by_check = Counter(r["check_id"] for r in rows)
    opened_by_severity = Counter(r["severity"] for r in rows)
    failed_by_check = Counter(d.check_id for _, d in candidates)
    brk = chain.first_break
    versions = {"supervision_checks": checkset.version,
                "monitoring_policy": monitoring_policy().version,
                "warning_handling": handling_policy().version}
    summary: dict[str, Any] = {
        "run_id": run.id, "as_of": as_of.isoformat(), "run_on": today.isoformat(),
        "checkset_version": checkset.version, "versions": versions,
        "files_checked": len(ev.records),
        "files": dict(Counter(r.origin for r in ev.records)),
        "checks_applied": ev.applied,
        "failed": len(candidates), "failed_by_check": dict(sorted(failed_by_check.items())),
        "opened": len(rows), "opened_by_check": dict(sorted(opened_by_check.items())),
        "opened_by_severity": {s.value: opened_by_severity.get(s.value, 0)
                               for s in reversed(FindingSeverity)},
        "already_open": seen, "closed_before": closed_same,
        "unassigned": {"count": sum(unassigned_by.values()),
                       "by_check": dict(sorted(unassigned_by.items())), "items": unassigned},
        "unreadable": {"count": len(ev.unreadable), "items": ev.unreadable[:UNREADABLE_LISTED]},
        "audit_chain": {"records": chain.records, "intact": brk is None,
                        "first_break": None if brk is None else
                        {"record_id": brk.record_id, "reason": brk.reason},
                        "custodian": custodian},
        "open_findings": repo.unclosed_by(),
        "statistics": _statistics_snapshot(ev, [d for _, d in candidates], as_of),
    }
    summary["seconds"] = round(time.perf_counter() - started, 3)
    run.findings_opened, run.findings_seen = len(rows), seen
    run.summary = canonical(summary)
    uow.audit.record(actor=user.username, action="supervision_run", entity="supervision_run",
                     entity_id=run.id, after={
                         "as_of": as_of, "checkset_version": checkset.version,
                         "files_checked": len(ev.records), "opened": len(rows),
                         "already_open": seen, "unassigned": summary["unassigned"]["count"],
                         "chain_intact": brk is None, "finding_ids": _ranges(ids)})
    uow.commit()
    return dict(run.summary)


def run_view(row: SupervisionRunRow) -> dict[str, Any]:
    return {"id": row.id, "as_of": row.as_of.isoformat(), "checkset_version":
            row.checkset_version, "files_checked": row.files_checked,
            "findings_opened": row.findings_opened, "findings_seen": row.findings_seen,
            "chain_intact": row.chain_intact, "run_by": row.run_by,
            "run_at": row.run_at.isoformat(), "summary": row.summary}


def list_runs(uow: UnitOfWork, user: CurrentUser, limit: int = 30) -> list[dict[str, Any]]:
    _require_reader(user)
    return [run_view(r) for r in _repo(uow).runs(limit=min(max(limit, 1), 200))]


def get_run(uow: UnitOfWork, user: CurrentUser, run_id: int) -> dict[str, Any]:
    _require_reader(user)
    row = _repo(uow).run(run_id)
    if row is None:
        raise NotFound(f"no supervision run {run_id}", field="run_id")
    return run_view(row)


# --------------------------------------------------------------------------- samples


def draw_sample(uow: UnitOfWork, user: CurrentUser, method: str, n: int, seed: int, *,
                as_of: date | None = None, today: date | None = None) -> dict[str, Any]:
    """Draw ``n`` loan files for manual review, at random or weighted towards risk (the
    active check set's weights); the same book, seed and weights give the same files."""
    _require_reader(user)
    today = today or date.today()
    as_of = as_of or today
    problems = []
    if method not in METHODS:
        problems.append(Problem("method", "must be random or risk"))
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SAMPLE:
        problems.append(Problem("n", "must be a whole number from 1 to %(max)s",
                                {"max": MAX_SAMPLE}))
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        problems.append(Problem("seed", "must be a whole number from 0 to %(max)s",
                                {"max": MAX_SEED}))
    if as_of > today:
        problems.append(Problem("as_of", "must not be in the future"))
    refuse(problems)
    checkset = active_checkset(uow)
    ev = evaluate_files(uow, checkset, as_of)
    if not ev.records:
        raise Conflict("there are no loan files to sample", field="method")
    failed: dict[int, list[str]] = {}
    for index, draft in ev.drafts:
        failed.setdefault(index, []).append(draft.check_id)
    position = {r.key: i for i, r in enumerate(ev.records)}
    if method == "random":
        picked = random_sample([r.key for r in ev.records], n, seed)
    else:
        profile = pd.DataFrame({
            "file_id": [r.key for r in ev.records],
            "branch_id": [r.branch_id for r in ev.records],
            "officer": [r.officer for r in ev.records],
            "override": [bool(f["override"]) for f in ev.facts],
            "exceptions": [len(failed.get(i, [])) for i in range(len(ev.records))],
            "early_default": [bool(f["early_default"]) for f in ev.facts],
            "warnings": [int(f["warnings_count"]) for f in ev.facts]})
        try:
            picked = risk_sample(profile, n, seed, checkset.sampling)
        except DomainError as exc:
            raise InvalidInput(exc.reason, field=exc.field) from None
    items = []
    for s in picked:
        i = position[str(s.file_id)]
        rec = ev.records[i]
        items.append({"file_key": rec.key, "reasons": list(s.reasons),
                      "weight": round(float(s.weight), 6), "branch_id": rec.branch_id,
                      "officer": rec.officer, "number": rec.number, "origin": rec.origin,
                      "application_id": rec.application_id, "loan_id": rec.loan_id,
                      "failed_checks": failed.get(i, [])})
    row = _repo(uow).add(SampleRow(
        method=method, seed=seed, size=len(items), as_of=as_of, items=canonical(items),
        checkset_version=checkset.version, drawn_by=user.username, drawn_at=_now()))
    uow.audit.record(actor=user.username, action="supervision_sample",
                     entity="supervision_sample", entity_id=row.id, after={
                         "method": method, "n": n, "seed": seed, "as_of": as_of,
                         "population": len(ev.records), "drawn": len(items),
                         "checkset_version": checkset.version,
                         "files": [i["file_key"] for i in items]})
    uow.commit()
    return sample_view(uow, row, population=len(ev.records))


def sample_view(uow: UnitOfWork, row: SampleRow, *, population: int | None = None
                ) -> dict[str, Any]:
    """A sample with, for each file drawn, the findings now on it (the review's results)."""
    found = _repo(uow).on_files(i["file_key"] for i in row.items)
    items = []
    for item in row.items:
        fs = found.get(item["file_key"], [])
        items.append({**item, "findings": [
            {"id": f.id, "check_id": f.check_id, "severity": f.severity, "status": f.status,
             "manual": f.run_id is None} for f in fs]})
    return {"id": row.id, "method": row.method, "seed": row.seed, "size": row.size,
            "as_of": row.as_of.isoformat(), "checkset_version": row.checkset_version,
            "drawn_by": row.drawn_by, "drawn_at": row.drawn_at.isoformat(),
            "population": population, "items": items,
            "with_findings": sum(1 for i in items if i["findings"]),
            "with_manual_findings": sum(1 for i in items
                                        if any(f["manual"] for f in i["findings"]))}


def list_samples(uow: UnitOfWork, user: CurrentUser, limit: int = 30) -> list[dict[str, Any]]:
    _require_reader(user)
    return [{"id": s.id, "method": s.method, "seed": s.seed, "size": s.size,
             "as_of": s.as_of.isoformat(), "checkset_version": s.checkset_version,
             "drawn_by": s.drawn_by, "drawn_at": s.drawn_at.isoformat()}
            for s in _repo(uow).samples(limit=min(max(limit, 1), 200))]


def get_sample(uow: UnitOfWork, user: CurrentUser, sample_id: int) -> dict[str, Any]:
    _require_reader(user)
    row = _repo(uow).sample(sample_id)
    if row is None:
        raise NotFound(f"no sample {sample_id}", field="sample_id")
    return sample_view(uow, row)


# --------------------------------------------------------------------------- findings


def _on(action: FindingActionRow) -> date:
    raw = (action.data or {}).get("on")
    if isinstance(raw, str):
        return date.fromisoformat(raw)
    at = action.at if action.at.tzinfo is not None else action.at.replace(tzinfo=UTC)
    return at.astimezone(UTC).date()


def finding_of(row: FindingRow, actions: Sequence[FindingActionRow]) -> Finding:
    """The stored finding as the pure :class:`Finding` (its steps from the actions)."""
    facts = row.facts or {}
    person = StaffRef(row.responsible, ResponsibleRole(row.responsible_role))
    draft = FindingDraft(
        check_id=row.check_id, checkset_version=row.checkset_version,
        severity=FindingSeverity(row.severity), title_zh=row.title_zh, title_en=row.title_en,
        regulation=str(facts.get("regulation") or ""),
        responsible_role=person.role, responsible=person, detected_on=row.opened_on,
        file_id=row.application_id or row.loan_id, branch_id=row.branch_id,
        officer=facts.get("officer"), facts=facts.get("read") or {},
        detail=str(facts.get("detail") or ""))
    history = tuple(FindingEvent(a.action, a.actor, _on(a), a.note or "",
                                 tuple((a.data or {}).get("evidence") or ()))
                    for a in actions if a.action in ACTIONS)
    return Finding(draft=draft, responsible=person, deadline=row.deadline,
                   task=row.note or f"整改：{row.title_zh} / Rectify: {row.title_en}",
                   status=FindingStatus(row.status), history=history, id=row.id)


def load_finding(uow: UnitOfWork, user: CurrentUser, finding_id: int, *, lock: bool = False
                 ) -> FindingRow:
    """The finding if the user may see it (else NotFound, not a hint)."""
    branch, username = _scope(user)
    row = _repo(uow).finding(finding_id, lock=lock)
    if row is None or (branch is not None and row.branch_id != branch
                       and row.responsible.casefold() != (username or "").casefold()):
        raise NotFound(f"no finding {finding_id}", field="finding_id")
    return row


def _links(row: FindingRow) -> dict[str, str | None]:
    if row.file_key.startswith("application:") and row.application_id is not None:
        return {"file": f"/applications/{row.application_id}",
                "loan": f"/loans/{row.loan_id}/classification" if row.loan_id else None}
    if row.loan_id is not None:
        return {"file": None, "loan": f"/loans/{row.loan_id}/classification"}
    return {"file": None, "loan": None}


def _finding_dict(row: FindingRow, today: date, branches: Mapping[int, tuple[str, str]],
                  names: Mapping[str, str]) -> dict[str, Any]:
    facts = row.facts or {}
    overdue = row.status in AWAITING and today > row.deadline
    branch = branches.get(row.branch_id) if row.branch_id is not None else None
    return {
        "id": row.id, "run_id": row.run_id, "check_id": row.check_id,
        "severity": row.severity, "title_zh": row.title_zh, "title_en": row.title_en,
        "file_key": row.file_key, "number": facts.get("number"),
        "application_id": row.application_id, "loan_id": row.loan_id,
        "branch_id": row.branch_id, "branch_zh": branch[0] if branch else None,
        "branch_en": branch[1] if branch else None,
        "responsible": row.responsible, "responsible_name": names.get(row.responsible),
        "responsible_role": row.responsible_role, "officer": facts.get("officer"),
        "opened_on": row.opened_on.isoformat(), "deadline": row.deadline.isoformat(),
        "status": row.status, "overdue": overdue,
        "days_overdue": (today - row.deadline).days if overdue else 0,
        "checkset_version": row.checkset_version, "task": row.note,
        "source": facts.get("source", "check"),
        "rectified_on": row.rectified_on.isoformat() if row.rectified_on else None,
        "closed_by": row.closed_by,
        "closed_on": row.closed_on.isoformat() if row.closed_on else None,
    }


def list_findings(uow: UnitOfWork, user: CurrentUser, *, statuses: Sequence[str] = (),
                  severities: Sequence[str] = (), check_ids: Sequence[str] = (),
                  branch_id: int | None = None, responsible: str | None = None,
                  mine: bool = False, overdue: bool = False, file_key: str | None = None,
                  run_id: int | None = None, limit: int = 50, offset: int = 0,
                  today: date | None = None) -> dict[str, Any]:
    """The findings board: what the user may see, unclosed and most severe first."""
    today = today or date.today()
    scope_branch, username = _scope(user)
    problems = []
    bad = [s for s in statuses if s not in {x.value for x in FindingStatus}]
    if bad:
        problems.append(Problem("status", "unknown status %(value)s", {"value": bad[0]}))
    bad = [s for s in severities if s not in {x.value for x in FindingSeverity}]
    if bad:
        problems.append(Problem("severity", "unknown severity %(value)s", {"value": bad[0]}))
    if not 1 <= limit <= 500:
        problems.append(Problem("limit", "must be from 1 to %(max)s", {"max": 500}))
    if offset < 0:
        problems.append(Problem("offset", "must not be negative"))
    refuse(problems)
    repo = _repo(uow)
    total, rows = repo.listing(
        branch_id=scope_branch, username=username, statuses=statuses, severities=severities,
        check_ids=check_ids, branch=branch_id,
        responsible=user.username if mine else responsible,
        overdue_on=today if overdue else None, file_key=file_key, run_id=run_id,
        limit=limit, offset=offset)
    branches, names = repo.branch_names(), repo.full_names()
    latest = repo.latest_run()
    return {"total": total, "limit": limit, "offset": offset,
            "items": [_finding_dict(r, today, branches, names) for r, _, _ in rows],
            "counts": repo.counts(branch_id=scope_branch, username=username, today=today),
            "latest_run": None if latest is None or scope_branch is not None
            else run_view(latest)}


def allowed_actions(row: FindingRow, user: CurrentUser, checkset: CheckSet) -> list[str]:
    """What ``user`` may do to the finding now (the page shows only these)."""
    status = FindingStatus(row.status)
    mine = row.responsible.strip().casefold() == user.username.strip().casefold()
    closer = user.role.value in checkset.rectification.closing_roles and not mine
    out = []
    if mine and status is FindingStatus.OPEN:
        out.append("start")
    if mine and status in (FindingStatus.OPEN, FindingStatus.RECTIFYING):
        out.append("rectify")
    if closer and status is FindingStatus.RECTIFIED:
        out.append("close")
    if closer and status in (FindingStatus.RECTIFIED, FindingStatus.CLOSED):
        out.append("reopen")
    return out


def finding_detail(uow: UnitOfWork, user: CurrentUser, finding_id: int,
                   today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    row = load_finding(uow, user, finding_id)
    repo = _repo(uow)
    facts = row.facts or {}
    return {
        **_finding_dict(row, today, repo.branch_names(), repo.full_names()),
        "facts": facts.get("read") or {}, "detail": facts.get("detail") or "",
        "regulation": facts.get("regulation") or "", "as_of": facts.get("as_of"),
        "description": facts.get("description") or "",
        "officer_source": facts.get("officer_source"), "evidence": row.evidence or [],
        "links": _links(row),
        "history": [{"action": a.action, "actor": a.actor, "at": a.at.isoformat(),
                     "on": _on(a).isoformat(), "note": a.note, "data": a.data}
                    for a in repo.actions(row.id)],
        "allowed_actions": allowed_actions(row, user, active_checkset(uow)),
    }


def _step(uow: UnitOfWork, user: CurrentUser, finding_id: int, action: str,
          apply: Callable[[Finding, CheckSet], Finding], *, note: str, today: date,
          data: dict[str, Any] | None = None) -> dict[str, Any]:
    checkset = active_checkset(uow)  # first: installing the default commits
    row = load_finding(uow, user, finding_id, lock=True)
    repo = _repo(uow)
    before = {"status": row.status, "deadline": row.deadline}
    try:
        after = apply(finding_of(row, repo.actions(row.id)), checkset)
    except DomainError as exc:
        raise _domain(exc) from None
    row.status = after.status.value
    row.deadline = after.deadline
    row.rectified_on = after.rectified_on
    closed = after.closed
    row.closed_by, row.closed_on = (closed.by, closed.on) if closed else (None, None)
    if action == "rectify":
        row.evidence = list(after.evidence)
    repo.add(FindingActionRow(finding_id=row.id, action=action, actor=user.username,
                              at=_now(), note=note, data=canonical({"on": today, **(data or {})})))
    uow.audit.record(actor=user.username, action=f"finding_{action}",
                     entity="supervision_finding", entity_id=row.id, before=before,
                     after={"status": row.status, "deadline": row.deadline, "note": note,
                            **(data or {})})
    uow.commit()
    return {"id": row.id, "status": row.status, "deadline": row.deadline.isoformat()}


def start_rectification(uow: UnitOfWork, user: CurrentUser, finding_id: int, data: NoteIn,
                        today: date | None = None) -> dict[str, Any]:
    """The responsible staff member starts rectifying."""
    on = today or date.today()
    return _step(uow, user, finding_id, "start",
                 lambda f, _: f.start(user.username, on, data.note), note=data.note, today=on)


def record_rectification(uow: UnitOfWork, user: CurrentUser, finding_id: int,
                         data: RectifyIn, today: date | None = None) -> dict[str, Any]:
    """The responsible staff member reports the rectification done, with evidence."""
    on = today or date.today()
    evidence = [e.strip() for e in data.evidence if e.strip()]
    return _step(uow, user, finding_id, "rectify",
                 lambda f, _: f.rectify(user.username, on, evidence, data.note),
                 note=data.note, today=on, data={"evidence": evidence})


def close_finding(uow: UnitOfWork, user: CurrentUser, finding_id: int, data: NoteIn,
                  today: date | None = None) -> dict[str, Any]:
    """A supervisor (never the responsible person) accepts the rectification: closed."""
    on = today or date.today()
    return _step(uow, user, finding_id, "close",
                 lambda f, cs: f.close(user.username, user.role.value, on, cs.rectification,
                                       data.note), note=data.note, today=on)


def reopen_finding(uow: UnitOfWork, user: CurrentUser, finding_id: int, data: ReopenIn,
                   today: date | None = None) -> dict[str, Any]:
    """A supervisor rejects the rectification (or reopens a closed finding), with the reason
    and, if given, a new deadline."""
    on = today or date.today()
    return _step(uow, user, finding_id, "reopen",
                 lambda f, cs: f.reopen(user.username, user.role.value, on, cs.rectification,
                                        data.reason, data.deadline),
                 note=data.reason, today=on,
                 data={"deadline": data.deadline} if data.deadline else None)


def open_manual_finding(uow: UnitOfWork, user: CurrentUser, data: ManualFindingIn,
                        today: date | None = None) -> dict[str, Any]:
    """A supervisor records a finding from a manual review. Refused, naming the field and
    writing nothing, without the responsible person, the deadline or the task."""
    today = today or date.today()
    checkset = active_checkset(uow)
    if user.role.value not in checkset.rectification.closing_roles:
        raise PermissionDenied(MANUAL_ONLY, field="role")
    repo = _repo(uow)
    problems: list[Problem] = []
    check = None
    if data.check_id and data.check_id.strip():
        try:
            check = checkset.get(data.check_id.strip())
        except KeyError:
            problems.append(Problem("check_id", "no check %(value)s in the active check set",
                                    {"value": data.check_id}))
    severity = data.severity or (check.severity.value if check else None)
    if severity is None:
        problems.append(Problem("severity", "required without a check"))
    elif severity not in {s.value for s in FindingSeverity}:
        problems.append(Problem("severity", "unknown severity %(value)s", {"value": severity}))
    title_zh = (data.title_zh or "").strip() or (check.title_zh if check else "")
    title_en = (data.title_en or "").strip() or (check.title_en if check else "") or title_zh
    if not title_zh:
        problems.append(Problem("title_zh", "required without a check"))
    role_raw = data.responsible_role or (check.responsible_role.value if check else None)
    if role_raw is None:
        problems.append(Problem("responsible_role", "required without a check"))
    elif role_raw not in {r.value for r in ResponsibleRole}:
        problems.append(Problem("responsible_role", "unknown role %(value)s",
                                {"value": role_raw}))
    person = None
    if not (data.responsible or "").strip():
        problems.append(Problem("responsible", "a finding needs the staff member responsible "
                                               "for it"))
    else:
        person = repo.active_user(data.responsible or "")
        if person is None:
            problems.append(Problem("responsible", "no active user %(value)s",
                                    {"value": data.responsible}))
    if data.deadline is None:
        problems.append(Problem("deadline", "a finding needs a rectification deadline"))
    elif data.deadline < today:
        problems.append(Problem("deadline", "must not be in the past"))
    if not (data.task or "").strip():
        problems.append(Problem("task", "a finding needs a rectification task"))
    rec = None
    if data.application_id is not None or data.loan_id is not None:
        app_id, loan_id, branch_id, number = repo.file_owner(
            application_id=data.application_id, loan_id=data.loan_id)
        if branch_id is None:
            problems.append(Problem("loan_id" if data.loan_id is not None
                                    else "application_id", "no such loan file"))
        else:
            system = app_id is not None and repo.is_system_application(app_id)
            key = application_key(app_id) if system and app_id is not None \
                else loan_key(loan_id) if loan_id is not None \
                else application_key(app_id) if app_id is not None else "manual"
            rec = FileRecord(key=key, origin=SYSTEM if system else "book",
                             application_id=app_id, loan_id=loan_id, borrower_id=None,
                             branch_id=branch_id, number=number or "", officer=None,
                             officer_source="none", data={})
    refuse(problems)
    assert person is not None and data.deadline is not None and severity and role_raw
    staff = StaffRef(person[0], ResponsibleRole(role_raw))
    draft = FindingDraft(
        check_id=check.id if check else "MANUAL", checkset_version=checkset.version,
        severity=FindingSeverity(severity), title_zh=title_zh, title_en=title_en,
        regulation=check.regulation if check else "", responsible_role=staff.role,
        responsible=staff, detected_on=today, file_id=None,
        branch_id=rec.branch_id if rec else person[2], officer=None, facts={},
        detail=data.note.strip())
    try:
        finding = Finding(draft=draft, responsible=staff, deadline=data.deadline,
                          task=(data.task or "").strip())
    except DomainError as exc:
        raise _domain(exc) from None
    row_data = _finding_row(draft, finding, rec, run_id=None, opened_on=today, as_of=today,
                            source="manual", extra={"description": data.note.strip(),
                                                    "opened_by": user.username})
    if rec is None:
        row_data.update(file_key="manual", branch_id=person[2])
    row = repo.add(FindingRow(**row_data))
    repo.add(FindingActionRow(finding_id=row.id, action="open", actor=user.username,
                              at=_now(), note=data.note.strip(),
                              data=canonical({"on": today, "source": "manual",
                                              "deadline": data.deadline})))
    uow.audit.record(actor=user.username, action="finding_opened",
                     entity="supervision_finding", entity_id=row.id, after={
                         "check_id": row.check_id, "severity": row.severity,
                         "file_key": row.file_key, "responsible": row.responsible,
                         "deadline": row.deadline, "task": row.note, "source": "manual"})
    uow.commit()
    return {"id": row.id, "status": row.status, "deadline": row.deadline.isoformat(),
            "responsible": row.responsible}


# --------------------------------------------------------------------------- accountability


def accountability(uow: UnitOfWork, user: CurrentUser, *, as_of: date | None = None,
                   username: str | None = None) -> list[dict[str, Any]]:
    """One record per staff member who answers for findings; a branch user sees only their
    own."""
    as_of = as_of or date.today()
    branch, own = _scope(user)
    who = own if branch is not None else username
    repo = _repo(uow)
    rows = repo.findings(responsible=who) if who else repo.findings()
    actions = repo.actions_of(r.id for r in rows)
    records = pure_accountability([finding_of(r, actions.get(r.id, [])) for r in rows],
                                  as_of=as_of)
    names = repo.full_names()
    return [{**rec.to_dict(), "full_name": names.get(rec.username)} for rec in records]


# --------------------------------------------------------------------------- statistics

GROUPS: Final = ("branch_id", "officer")


def statistics(uow: UnitOfWork, user: CurrentUser, by: str = "branch_id",
               today: date | None = None) -> dict[str, Any]:
    """Per branch or officer: the latest run's counts (files, failed checks by severity,
    overrides, early defaults, warnings, late warnings, median days to verify a warning) and
    the findings as they stand now (unclosed, overdue, closed)."""
    _require_reader(user)
    if by not in GROUPS:
        raise InvalidInput("must be branch_id or officer", field="by")
    today = today or date.today()
    repo = _repo(uow)
    run = repo.latest_run()
    snapshot = [] if run is None else list((run.summary.get("statistics") or {}).get(by, []))
    live: dict[Any, Counter[str]] = {}
    for f in repo.findings():
        key = f.branch_id if by == "branch_id" else (f.facts or {}).get("officer")
        if key is None:
            continue
        c = live.setdefault(key, Counter())
        c["open_findings" if f.status in UNCLOSED else "closed_findings"] += 1
        if f.status in AWAITING and today > f.deadline:
            c["overdue_findings"] += 1
    rows = []
    for row in snapshot:
        c = live.pop(row.get(by), Counter())
        rows.append({**row, **{k: c.get(k, 0) for k in
                               ("open_findings", "overdue_findings", "closed_findings")}})
    for key, c in sorted(live.items(), key=lambda kv: str(kv[0])):
        rows.append({by: key, **{k: c.get(k, 0) for k in
                                 ("open_findings", "overdue_findings", "closed_findings")}})
    branches = repo.branch_names()
    names = repo.full_names()
    for row in rows:
        if by == "branch_id":
            name = branches.get(int(row["branch_id"])) if row.get("branch_id") else None
            row["name_zh"], row["name_en"] = (name if name else (None, None))
        else:
            row["name_zh"] = row["name_en"] = names.get(str(row.get("officer")))
    return {"by": by, "run": None if run is None else {
        "id": run.id, "as_of": run.as_of.isoformat(), "checkset_version": run.checkset_version},
        "rows": rows}


# --------------------------------------------------------------------------- check set


def checkset_overview(uow: UnitOfWork, user: CurrentUser) -> dict[str, Any]:
    """The active check set (its checks, rectification terms and sampling weights) and every
    stored version."""
    _require_reader(user)
    checkset = active_checkset(uow)
    applies = {c.id: (_book_applies(e.names) if c.scope == "loan_file" else None)
               for c, e in checkset.compiled}
    return {"version": checkset.version, "effective_from": checkset.effective_from.isoformat(),
            "description": checkset.description,
            "checks": [{**c.to_dict(), "book_files": applies.get(c.id)}
                       for c in checkset.checks],
            "rectification": checkset.rectification.to_dict(),
            "sampling": checkset.sampling.to_dict(),
            "versions": [{"version": v.version, "status": v.status,
                          "created_by": v.created_by, "activated_by": v.activated_by}
                         for v in parameters.list_sets(uow, KIND)]}


_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")


def quarter_range(quarter: str) -> tuple[date, date]:
    """``2026Q3`` as (first day, last day) of the quarter."""
    match = _QUARTER.match(quarter.strip())
    if match is None:
        raise InvalidInput("must be a year and a quarter, e.g. 2026Q3", field="quarter")
    year, q = int(match.group(1)), int(match.group(2))
    start = date(year, 3 * q - 2, 1)
    end = (date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)) - timedelta(days=1)
    return start, end


def current_quarter(today: date | None = None) -> str:
    today = today or date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"
