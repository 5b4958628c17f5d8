"""Post-loan supervision in the database: every loan file built from the book in a fixed
number of bulk queries (never one query per loan), and the findings with their follow-up, the
runs and the samples.

A loan file is one of two kinds:

- a **system file** (``application:<id>``): an application that the system's origination holds
  any record of (the loan officer who entered it, a workflow step, a site visit, an
  assessment, a credit decision, a contract or a mortgage registration). It carries everything
  the checks read: the steps, the visits, the assessments, the people's decisions (with the
  decider's role and the authority level they held), the valuations of the property, the
  contract, the registration, the disbursed loan and the warnings raised on it;
- a **book file** (``loan:<id>``): a loan that came in with the book (the synthetic county
  book, a core banking import) without going through the system's origination, whether it
  has an application header (``loans.application_id`` set, no officer, no steps) or none at
  all (``loans.application_id`` null). The system holds only the loan as it stands (class,
  days past due, status) and the warnings raised on it, so only the checks that read nothing
  else apply to it (``services/supervision.BOOK_FACTS``). Its loan officer is the one recorded
  on the loan or its application; where none is recorded, the branch's active loan officers
  answer for its loans in turn (the borrower id modulo their number), the same rota the
  warning sync uses to assign warnings (``services/warnings.sync_warnings``).

Applications with no system record and no loan (declined or withdrawn before the system) are
not files: there is nothing on them to check.

Timestamps read from SQLite come back without a time zone; they were written in UTC, so they
are handed on as UTC (the pure package reads a naive timestamp as Beijing time).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, case, func, insert, or_, select
from sqlalchemy.orm import Session

from mortgage_risk.storage.tables import (
    ApplicationRow,
    AssessmentRow,
    BranchRow,
    ContractRow,
    CreditDecisionRow,
    FindingActionRow,
    FindingRow,
    LoanRow,
    MortgageRegistrationRow,
    SiteVisitRow,
    SupervisionRunRow,
    SupervisionSampleRow,
    UserRow,
    ValuationRow,
    WarningActionRow,
    WarningCaseRow,
    WorkflowEventRow,
)

SYSTEM: Final = "system"
BOOK: Final = "book"
AUDIT_FILE_KEY: Final = "audit_log"
#: Statuses of a finding not yet closed (a re-run opens nothing new beside one of these).
UNCLOSED: Final = ("open", "rectifying", "rectified")
#: Statuses in which a finding still waits for its rectification (overdue past the deadline).
AWAITING: Final = ("open", "rectifying")
SEVERITY_RANK: Final = {"low": 0, "medium": 1, "high": 2, "critical": 3}
_CHUNK: Final = 900  # ids per IN (...) list: under SQLite's bound-parameter limit


def application_key(application_id: int) -> str:
    return f"application:{application_id}"


def loan_key(loan_id: int) -> str:
    return f"loan:{loan_id}"


def _utc(moment: datetime) -> str:
    """An ISO timestamp with its zone: a naive one from the database is UTC."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).isoformat()


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()


@dataclass(frozen=True)
class FileRecord:
    """One loan file as read from the database: its key, kind, ids, and ``data`` in the
    format of ``supervision.LoanFile.from_dict``.

    ``officer_source`` says where the loan officer came from: ``recorded`` (on the
    application or the loan), ``branch_rota`` (a book loan without one: the branch's loan
    officers in turn) or ``none``.
    """

    key: str
    origin: str
    application_id: int | None
    loan_id: int | None
    borrower_id: int | None
    branch_id: int
    number: str
    officer: str | None
    officer_source: str
    data: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class _User:
    username: str
    role: str
    branch_id: int | None
    active: bool


class SupervisionRepository:
    """Reads the loan files and keeps the supervision tables (on the unit of work's session)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    # ------------------------------------------------------------------ loan files

    def _users(self) -> dict[int, _User]:
        return {uid: _User(name, role, branch, bool(active)) for uid, name, role, branch, active
                in self._s.execute(select(UserRow.id, UserRow.username, UserRow.role,
                                          UserRow.branch_id, UserRow.active))}

    def _rota(self, users: Mapping[int, _User]) -> dict[int, list[str]]:
        """Active loan officers by branch, in id order (the warning sync's rota)."""
        out: dict[int, list[str]] = {}
        for uid in sorted(users):
            u = users[uid]
            if u.role == "loan_officer" and u.active and u.branch_id is not None:
                out.setdefault(u.branch_id, []).append(u.username)
        return out

    def _by_application(self, stmt: Any) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = defaultdict(list)
        for row in self._s.execute(stmt):
            out[int(row[0])].append(row)
        return out

    def loan_files(self, *, role_levels: Mapping[str, str],
                   levels: Iterable[str]) -> list[FileRecord]:
        """Every loan file of the book (system files, then book files, each by id).

        ``role_levels`` maps a role to the authority level it holds and ``levels`` lists the
        known authority levels: a decision carries the level recorded with it when that is a
        known level (the authority the decider held when deciding), else the level of the
        decider's role; a decider the system does not know holds none.
        """
        known_levels = frozenset(levels)
        users = self._users()
        by_name = {u.username: u for u in users.values()}
        rota = self._rota(users)

        apps = {r.id: r for r in self._s.execute(select(
            ApplicationRow.id, ApplicationRow.application_no, ApplicationRow.borrower_id,
            ApplicationRow.property_id, ApplicationRow.branch_id, ApplicationRow.officer_id,
            ApplicationRow.amount, ApplicationRow.submitted_on, ApplicationRow.status))}
        events = self._by_application(select(
            WorkflowEventRow.application_id, WorkflowEventRow.step, WorkflowEventRow.actor,
            WorkflowEventRow.at).order_by(WorkflowEventRow.id))
        visits = self._by_application(select(
            SiteVisitRow.application_id, SiteVisitRow.visited_on, SiteVisitRow.officer)
            .order_by(SiteVisitRow.id))
        assessments = self._by_application(select(
            AssessmentRow.application_id, AssessmentRow.created_at,
            AssessmentRow.authority_level, AssessmentRow.recommendation,
            AssessmentRow.versions).order_by(AssessmentRow.id))
        decisions = self._by_application(select(
            CreditDecisionRow.application_id, CreditDecisionRow.stage,
            CreditDecisionRow.decision, CreditDecisionRow.decided_by,
            CreditDecisionRow.authority_level, CreditDecisionRow.override,
            CreditDecisionRow.reasons, CreditDecisionRow.at).order_by(CreditDecisionRow.id))
        contracts = {int(a): s for a, s in self._s.execute(select(
            ContractRow.application_id, ContractRow.signed_on))}
        registrations = {int(a): d for a, d in self._s.execute(select(
            MortgageRegistrationRow.application_id, MortgageRegistrationRow.registered_on))}
        system_ids = sorted(
            {a for a, r in apps.items() if r.officer_id is not None}
            | set(events) | set(visits) | set(assessments) | set(decisions) | set(contracts)
            | set(registrations))
        valuations: dict[int, list[date]] = defaultdict(list)
        for pid, day in self._s.execute(select(ValuationRow.property_id,
                                               ValuationRow.valuation_date)):
            valuations[int(pid)].append(day)

        loans = list(self._s.execute(select(
            LoanRow.id, LoanRow.application_id, LoanRow.borrower_id, LoanRow.branch_id,
            LoanRow.officer_id, LoanRow.contract_no, LoanRow.principal,
            LoanRow.origination_date, LoanRow.status, LoanRow.days_past_due,
            LoanRow.five_category, LoanRow.as_of).order_by(LoanRow.id)))
        loans_of_app: dict[int, Any] = {}
        loans_of_borrower: dict[int, list[int]] = defaultdict(list)
        for ln in loans:
            if ln.application_id is not None:
                loans_of_app.setdefault(int(ln.application_id), ln)
            loans_of_borrower[int(ln.borrower_id)].append(int(ln.id))

        system = set(system_ids)
        loan_file_key: dict[int, str] = {}
        for ln in loans:
            app_id = None if ln.application_id is None else int(ln.application_id)
            in_system = app_id is not None and app_id in system \
                and loans_of_app.get(app_id) is ln
            loan_file_key[int(ln.id)] = application_key(int(ln.application_id)) if in_system \
                else loan_key(int(ln.id))
        warnings = self._warnings(users, loan_file_key, loans_of_borrower)

        def username(uid: int | None) -> str | None:
            user = None if uid is None else users.get(int(uid))
            return None if user is None else user.username

        out: list[FileRecord] = []
        for app_id in system_ids:
            a = apps.get(app_id)
            if a is None:
                continue
            own = loans_of_app.get(app_id)
            key = application_key(app_id)
            officer = username(a.officer_id)
            data = {
                "application": {"id": app_id, "no": a.application_no,
                                "branch_id": int(a.branch_id), "officer": officer,
                                "amount": str(a.amount),
                                "submitted_on": _day(a.submitted_on), "status": a.status},
                "events": [{"step": e.step, "actor": e.actor, "at": _utc(e.at)}
                           for e in events.get(app_id, [])],
                "visits": [{"visited_on": _day(v.visited_on), "officer": v.officer}
                           for v in visits.get(app_id, [])],
                "assessments": [{"created_at": _utc(s.created_at),
                                 "authority_level": s.authority_level,
                                 "recommendation": s.recommendation,
                                 "versions": {str(k): str(v)
                                              for k, v in (s.versions or {}).items()}}
                                for s in assessments.get(app_id, [])],
                "decisions": [self._decision(d, by_name, role_levels, known_levels)
                              for d in decisions.get(app_id, [])],
                "valuation_dates": [_day(v) for v in sorted(
                    valuations.get(int(a.property_id), []))],
                "contract_signed_on": _day(contracts.get(app_id)),
                "registered_on": _day(registrations.get(app_id)),
                "disbursed_on": None if own is None else _day(own.origination_date),
                "loan": None if own is None else _loan(own),
                "warnings": warnings.get(key, []),
            }
            out.append(FileRecord(
                key=key, origin=SYSTEM, application_id=app_id,
                loan_id=None if own is None else int(own.id), borrower_id=int(a.borrower_id),
                branch_id=int(a.branch_id), number=a.application_no, officer=officer,
                officer_source="recorded" if officer else "none", data=data))

        for ln in loans:
            key = loan_file_key[int(ln.id)]
            if not key.startswith("loan:"):
                continue
            head = None if ln.application_id is None else apps.get(int(ln.application_id))
            officer = username(ln.officer_id) or (username(head.officer_id) if head else None)
            source = "recorded" if officer else "none"
            pool = rota.get(int(ln.branch_id), [])
            if officer is None and pool:
                officer, source = pool[int(ln.borrower_id) % len(pool)], "branch_rota"
            data = {
                "application": {"id": int(ln.id),
                                "no": head.application_no if head is not None
                                else ln.contract_no,
                                "branch_id": int(ln.branch_id), "officer": officer,
                                "amount": str(ln.principal),
                                "submitted_on": _day(head.submitted_on if head is not None
                                                     else ln.origination_date),
                                "status": "disbursed"},
                "loan": _loan(ln),
                "warnings": warnings.get(key, []),
            }
            out.append(FileRecord(
                key=key, origin=BOOK,
                application_id=None if ln.application_id is None else int(ln.application_id),
                loan_id=int(ln.id), borrower_id=int(ln.borrower_id),
                branch_id=int(ln.branch_id), number=ln.contract_no, officer=officer,
                officer_source=source, data=data))
        return out

    @staticmethod
    def _decision(d: Any, by_name: Mapping[str, _User], role_levels: Mapping[str, str],
                  known: frozenset[str]) -> dict[str, Any]:
        user = by_name.get(d.decided_by)
        role = user.role if user is not None else None
        level = d.authority_level if d.authority_level in known and user is not None \
            else role_levels.get(role or "")
        return {"stage": d.stage, "decision": d.decision, "decided_by": d.decided_by,
                # a decider the system does not know is taken as an approver without authority
                "decider_role": role or "approver", "decider_level": level,
                "authority_level": None, "override": bool(d.override),
                "reasons": d.reasons or "", "at": _utc(d.at)}

    def _warnings(self, users: Mapping[int, _User], loan_file_key: Mapping[int, str],
                  loans_of_borrower: Mapping[int, list[int]]) -> dict[str, list[dict[str, Any]]]:
        """The warnings of each file: a case belongs to the files of the loans it names (of
        all the borrower's loans when it names none)."""
        verified = {int(w): d for w, d in self._s.execute(
            select(WarningActionRow.warning_id, func.min(WarningActionRow.on_date))
            .where(WarningActionRow.action == "verified")
            .group_by(WarningActionRow.warning_id))}
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in self._s.execute(select(
                WarningCaseRow.id, WarningCaseRow.borrower_id, WarningCaseRow.level,
                WarningCaseRow.status, WarningCaseRow.opened_on, WarningCaseRow.deadline,
                WarningCaseRow.assigned_to, WarningCaseRow.closed_on, WarningCaseRow.closed_by,
                WarningCaseRow.loan_ids).order_by(WarningCaseRow.id)):
            loan_ids = [int(x) for x in (c.loan_ids or [])] or \
                loans_of_borrower.get(int(c.borrower_id), [])
            assignee = None if c.assigned_to is None else users.get(int(c.assigned_to))
            item = {"id": int(c.id), "level": c.level, "opened_on": _day(c.opened_on),
                    "deadline": _day(c.deadline), "status": c.status,
                    "verified_on": _day(verified.get(int(c.id))),
                    "closed_on": _day(c.closed_on), "closed_by": c.closed_by,
                    "assigned_to": assignee.username if assignee else None}
            for key in dict.fromkeys(loan_file_key[i] for i in loan_ids if i in loan_file_key):
                out[key].append(item)
        return out

    def audit_custodian(self) -> str | None:
        """Who answers for the audit log: the first active administrator."""
        return self._s.scalar(select(UserRow.username).where(
            UserRow.role == "admin", UserRow.active.is_(True)).order_by(UserRow.id).limit(1))

    def active_user(self, username: str) -> tuple[str, str, int | None] | None:
        """(username, role, branch id) of an active user, compared case-insensitively."""
        row = self._s.execute(select(UserRow.username, UserRow.role, UserRow.branch_id).where(
            func.lower(UserRow.username) == username.strip().lower(),
            UserRow.active.is_(True))).first()
        return None if row is None else (row[0], row[1], row[2])

    def file_owner(self, *, application_id: int | None, loan_id: int | None
                   ) -> tuple[int | None, int | None, int | None, str | None]:
        """(application id, loan id, branch id, number) of a file named by either id."""
        if loan_id is not None:
            ln = self._s.execute(select(LoanRow.id, LoanRow.application_id, LoanRow.branch_id,
                                        LoanRow.contract_no).where(LoanRow.id == loan_id)).first()
            if ln is None:
                return None, None, None, None
            return ln.application_id, ln.id, ln.branch_id, ln.contract_no
        if application_id is not None:
            a = self._s.execute(select(ApplicationRow.id, ApplicationRow.branch_id,
                                       ApplicationRow.application_no).where(
                ApplicationRow.id == application_id)).first()
            if a is None:
                return None, None, None, None
            loan = self._s.scalar(select(LoanRow.id).where(LoanRow.application_id == a.id)
                                  .order_by(LoanRow.id).limit(1))
            return a.id, loan, a.branch_id, a.application_no
        return None, None, None, None

    def is_system_application(self, application_id: int) -> bool:
        """Whether the system's origination holds any record of the application."""
        if self._s.scalar(select(ApplicationRow.officer_id).where(
                ApplicationRow.id == application_id)) is not None:
            return True
        for table in (WorkflowEventRow, SiteVisitRow, AssessmentRow, CreditDecisionRow,
                      ContractRow, MortgageRegistrationRow):
            column = table.__table__.c.application_id
            if self._s.scalar(select(column).where(column == application_id).limit(1)):
                return True
        return False

    # ------------------------------------------------------------------ findings

    def existing(self) -> dict[tuple[str, str], list[tuple[str, dict[str, Any]]]]:
        """Every finding's (status, facts) by (check id, file key), oldest first."""
        out: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for check, key, status, facts in self._s.execute(select(
                FindingRow.check_id, FindingRow.file_key, FindingRow.status,
                FindingRow.facts).order_by(FindingRow.id)):
            out[(check, key)].append((status, facts or {}))
        return out

    def add_findings(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert findings in bulk (one statement); their ids in the order given."""
        if not rows:
            return []
        result = self._s.execute(insert(FindingRow).returning(
            FindingRow.id, sort_by_parameter_order=True), list(rows))
        return [int(i) for i in result.scalars()]

    def add_actions(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._s.execute(insert(FindingActionRow), list(rows))

    def add(self, row: Any) -> Any:
        self._s.add(row)
        self._s.flush()
        return row

    def finding(self, finding_id: int, *, lock: bool = False) -> FindingRow | None:
        stmt = select(FindingRow).where(FindingRow.id == finding_id)
        if lock:
            stmt = stmt.with_for_update()
        return self._s.scalars(stmt).first()

    def actions(self, finding_id: int) -> list[FindingActionRow]:
        return list(self._s.scalars(select(FindingActionRow).where(
            FindingActionRow.finding_id == finding_id).order_by(FindingActionRow.id)))

    def actions_of(self, finding_ids: Iterable[int]) -> dict[int, list[FindingActionRow]]:
        ids = list(finding_ids)
        out: dict[int, list[FindingActionRow]] = defaultdict(list)
        for start in range(0, len(ids), _CHUNK):
            for a in self._s.scalars(select(FindingActionRow).where(
                    FindingActionRow.finding_id.in_(ids[start:start + _CHUNK]))
                    .order_by(FindingActionRow.id)):
                out[a.finding_id].append(a)
        return out

    @staticmethod
    def _visible(branch_id: int | None, username: str | None) -> Any:
        """Findings a user may see: all (no branch), else their branch's and their own."""
        if branch_id is None:
            return and_(True)
        return or_(FindingRow.branch_id == branch_id,
                   func.lower(FindingRow.responsible) == (username or "").lower())

    def listing(self, *, branch_id: int | None, username: str | None,
                statuses: Sequence[str] = (), severities: Sequence[str] = (),
                check_ids: Sequence[str] = (), branch: int | None = None,
                responsible: str | None = None, overdue_on: date | None = None,
                file_key: str | None = None, run_id: int | None = None,
                limit: int = 50, offset: int = 0) -> tuple[int, list[Any]]:
        """Findings with their branch names; unclosed first, most severe, earliest deadline."""
        conds: list[Any] = [self._visible(branch_id, username)]
        if statuses:
            conds.append(FindingRow.status.in_(list(statuses)))
        if severities:
            conds.append(FindingRow.severity.in_(list(severities)))
        if check_ids:
            conds.append(FindingRow.check_id.in_(list(check_ids)))
        if branch is not None:
            conds.append(FindingRow.branch_id == branch)
        if responsible:
            conds.append(func.lower(FindingRow.responsible) == responsible.strip().lower())
        if overdue_on is not None:
            conds.append(and_(FindingRow.status.in_(AWAITING), FindingRow.deadline < overdue_on))
        if file_key:
            conds.append(FindingRow.file_key == file_key)
        if run_id is not None:
            conds.append(FindingRow.run_id == run_id)
        where = and_(*conds)
        total = self._s.scalar(select(func.count()).select_from(FindingRow).where(where))
        rank = case(*((FindingRow.severity == s, r) for s, r in SEVERITY_RANK.items()), else_=-1)
        rows = self._s.execute(
            select(FindingRow, BranchRow.name_zh, BranchRow.name_en)
            .outerjoin(BranchRow, BranchRow.id == FindingRow.branch_id)
            .where(where)
            .order_by(FindingRow.status == "closed", rank.desc(), FindingRow.deadline,
                      FindingRow.id)
            .limit(limit).offset(offset)).all()
        return int(total or 0), list(rows)

    def counts(self, *, branch_id: int | None, username: str | None, today: date
               ) -> dict[str, Any]:
        """Findings by status and severity, how many wait past their deadline."""
        visible = self._visible(branch_id, username)
        by: dict[str, dict[str, int]] = {}
        for status, severity, n in self._s.execute(
                select(FindingRow.status, FindingRow.severity, func.count())
                .where(visible).group_by(FindingRow.status, FindingRow.severity)):
            by.setdefault(status, {})[severity] = int(n)
        overdue = self._s.scalar(select(func.count()).select_from(FindingRow).where(
            visible, FindingRow.status.in_(AWAITING), FindingRow.deadline < today))
        return {"by_status": by, "overdue": int(overdue or 0)}

    def unclosed_by(self) -> dict[str, dict[str, int]]:
        """Unclosed findings by severity and by check (union-wide)."""
        sev: dict[str, int] = {}
        chk: dict[str, int] = {}
        for check, severity, n in self._s.execute(
                select(FindingRow.check_id, FindingRow.severity, func.count())
                .where(FindingRow.status.in_(UNCLOSED))
                .group_by(FindingRow.check_id, FindingRow.severity)):
            sev[severity] = sev.get(severity, 0) + int(n)
            chk[check] = chk.get(check, 0) + int(n)
        return {"by_severity": sev, "by_check": dict(sorted(chk.items()))}

    def findings(self, *, branch_id: int | None = None, username: str | None = None,
                 responsible: str | None = None, opened_from: date | None = None,
                 opened_to: date | None = None) -> list[FindingRow]:
        conds: list[Any] = [self._visible(branch_id, username)]
        if responsible is not None:
            conds.append(func.lower(FindingRow.responsible) == responsible.strip().lower())
        if opened_from is not None:
            conds.append(FindingRow.opened_on >= opened_from)
        if opened_to is not None:
            conds.append(FindingRow.opened_on <= opened_to)
        return list(self._s.scalars(select(FindingRow).where(and_(*conds))
                                    .order_by(FindingRow.id)))

    def on_files(self, keys: Iterable[str]) -> dict[str, list[FindingRow]]:
        ids = list(dict.fromkeys(keys))
        out: dict[str, list[FindingRow]] = defaultdict(list)
        for start in range(0, len(ids), _CHUNK):
            for f in self._s.scalars(select(FindingRow).where(
                    FindingRow.file_key.in_(ids[start:start + _CHUNK])).order_by(FindingRow.id)):
                out[f.file_key].append(f)
        return out

    def branch_names(self) -> dict[int, tuple[str, str]]:
        return {int(i): (zh, en) for i, zh, en in self._s.execute(
            select(BranchRow.id, BranchRow.name_zh, BranchRow.name_en))}

    def full_names(self) -> dict[str, str]:
        return {str(u): str(n) for u, n in self._s.execute(
            select(UserRow.username, UserRow.full_name))}

    # ------------------------------------------------------------------ runs and samples

    def latest_run(self, *, on_or_before: date | None = None) -> SupervisionRunRow | None:
        stmt = select(SupervisionRunRow).order_by(SupervisionRunRow.as_of.desc(),
                                                  SupervisionRunRow.id.desc()).limit(1)
        if on_or_before is not None:
            stmt = stmt.where(SupervisionRunRow.as_of <= on_or_before)
        return self._s.scalars(stmt).first()

    def runs(self, *, limit: int = 30, since: date | None = None,
             until: date | None = None) -> list[SupervisionRunRow]:
        stmt = select(SupervisionRunRow).order_by(SupervisionRunRow.id.desc()).limit(limit)
        if since is not None:
            stmt = stmt.where(SupervisionRunRow.as_of >= since)
        if until is not None:
            stmt = stmt.where(SupervisionRunRow.as_of <= until)
        return list(self._s.scalars(stmt))

    def run(self, run_id: int) -> SupervisionRunRow | None:
        return self._s.get(SupervisionRunRow, run_id)

    def samples(self, *, limit: int = 30, since: date | None = None,
                until: date | None = None) -> list[SupervisionSampleRow]:
        stmt = select(SupervisionSampleRow).order_by(SupervisionSampleRow.id.desc()).limit(limit)
        if since is not None:
            stmt = stmt.where(SupervisionSampleRow.as_of >= since)
        if until is not None:
            stmt = stmt.where(SupervisionSampleRow.as_of <= until)
        return list(self._s.scalars(stmt))

    def sample(self, sample_id: int) -> SupervisionSampleRow | None:
        return self._s.get(SupervisionSampleRow, sample_id)


def _loan(ln: Any) -> dict[str, Any]:
    dpd = int(ln.days_past_due or 0)
    first = ln.as_of - timedelta(days=dpd) if dpd > 0 and ln.as_of is not None else None
    return {"id": int(ln.id), "days_past_due": dpd, "five_category": ln.five_category,
            "status": ln.status, "origination_date": _day(ln.origination_date),
            "first_missed_due_on": _day(first)}
