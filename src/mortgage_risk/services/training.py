"""Staff training in the system: trainers build exercise sets from a reproducible case library,
staff take them and are graded by the production engines under the ACTIVE parameter sets, and a
passed set certifies its topic until the expiry the active training configuration gives.

Every command is one audited transaction that commits at its end; a refused command (a wrong
form of answer, an unknown case, a role that may not) raises before anything is written. The
start of an attempt is an audit record, so the time limit counts from a time the trainee
cannot move.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from mortgage_risk.domain import DomainError, Role
from mortgage_risk.monitoring.indicators import load_indicator_set
from mortgage_risk.services import parameters
from mortgage_risk.services.classification import monitoring_policy
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.training_gate import active_config, certification_records
from mortgage_risk.services.users import CurrentUser, require_role
from mortgage_risk.services.warnings import handling_policy
from mortgage_risk.storage.tables import (
    AttemptRow,
    CertificationRow,
    ExerciseSetRow,
    UserRow,
)
from mortgage_risk.storage.training import START_ACTION, START_ENTITY, TrainingRepository, utc
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.training import (
    TOPICS,
    AttemptResult,
    Case,
    CaseLibrary,
    Certification,
    Engines,
    ExerciseSet,
    TrainingConfig,
    build_cases,
    certify,
    exercise_for,
    score_attempt,
    staff_progress,
)
from mortgage_risk.training.jsondata import jsonable

#: Who builds and retires exercise sets.
BUILDERS: Final = (Role.TRAINER, Role.ADMIN)
#: Who may see every staff member's progress and certifications.
STAFF_VIEWERS: Final = frozenset({Role.TRAINER, Role.ADMIN, Role.RISK_MANAGER, Role.SUPERVISOR})
MAX_LIBRARY_SIZE: Final = 30
DEFAULT_LIBRARY_SIZE: Final = 10
MAX_SEED: Final = 2**31 - 1
MAX_NAME: Final = 128
MAX_CACHED_LIBRARIES: Final = 8

# --------------------------------------------------------------------------- input schemas


class NewSetIn(BaseModel):
    """A trainer's new set: ``n`` cases of the topic from the library of (``seed``, ``size``),
    or the chosen ``case_ids``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_NAME)
    topic: str
    seed: int = Field(ge=0, le=MAX_SEED)
    n: int | None = Field(default=None, ge=1, le=MAX_LIBRARY_SIZE)
    size: int | None = Field(default=None, ge=1, le=MAX_LIBRARY_SIZE)
    case_ids: list[str] | None = None
    pass_mark: float | None = None
    time_limit: int | None = None


class AnswersIn(BaseModel):
    """A trainee's answers: case id → the answer in its exercise's form."""

    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Any]


class ActiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


# --------------------------------------------------------------------------- the case library

_LIBRARIES: OrderedDict[tuple[int, int], CaseLibrary] = OrderedDict()
_LIBRARY_LOCK = threading.Lock()


def _check_library(seed: Any, size: Any) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidInput(f"must be a whole number from 0 to {MAX_SEED}; got {seed!r}",
                           field="seed")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_LIBRARY_SIZE:
        raise InvalidInput(f"must be a whole number from 1 to {MAX_LIBRARY_SIZE}; got {size!r}",
                           field="size")


def case_library(seed: int, size: int) -> CaseLibrary:
    """The library of ``seed`` with up to ``size`` cases per exercise type, built once per
    process (building takes about a second; the same arguments give the same library).

    It is drawn with the shipped training data and engines, so a stored set's case ids stay
    valid whatever is activated later; grading uses the active parameter sets.
    """
    _check_library(seed, size)
    key = (seed, size)
    with _LIBRARY_LOCK:
        found = _LIBRARIES.get(key)
        if found is not None:
            _LIBRARIES.move_to_end(key)
            return found
        library = build_cases(seed, size, config=TrainingConfig.load_default(),
                              engines=Engines.default())
        _LIBRARIES[key] = library
        while len(_LIBRARIES) > MAX_CACHED_LIBRARIES:
            _LIBRARIES.popitem(last=False)
        return library


_ENGINES: dict[tuple[str, str], Engines] = {}


def active_engines(uow: UnitOfWork) -> Engines:
    """The engines production runs with: the active identification rules and valuation
    parameters, and the monitoring and handling policies the monitoring services use."""
    rules = parameters.active_typed(uow, "identification_rules")
    valuation = parameters.active_typed(uow, "valuation")
    key = (str(rules.version), str(valuation.version))
    if key not in _ENGINES:
        _ENGINES[key] = Engines(rules, valuation, monitoring_policy(), handling_policy(),
                                load_indicator_set())
    return _ENGINES[key]


# --------------------------------------------------------------------------- helpers


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else utc(now)


def _local_day(at: datetime) -> date:
    """The calendar day of an instant on this server's clock."""
    return utc(at).astimezone().date()


def _labels(config: TrainingConfig, topic: str) -> dict[str, str]:
    label = config.topics[topic]
    return {"topic_zh": label.zh, "topic_en": label.en}


def _domain(exc: DomainError, prefix: str = "") -> InvalidInput:
    field = exc.field.removeprefix(prefix) if prefix else exc.field
    return InvalidInput(exc.reason, field=field)


def _may_see_staff(user: CurrentUser) -> bool:
    return user.role in STAFF_VIEWERS


def _load_set(uow: UnitOfWork, user: CurrentUser, set_id: int, *, lock: bool = False
              ) -> ExerciseSetRow:
    """The set; a retired one only for the builders (others get NotFound)."""
    row = TrainingRepository(uow.session).get_set(set_id, lock=lock)
    if row is None or (not row.active and user.role not in BUILDERS):
        raise NotFound(f"no exercise set {set_id}", field="set_id")
    return row


def _exercise_set(row: ExerciseSetRow) -> ExerciseSet:
    return ExerciseSet(id=str(row.id), topic=row.topic, case_ids=tuple(row.case_ids),
                       title_zh=row.name, title_en=row.name, pass_mark=row.pass_mark,
                       time_limit_minutes=row.time_limit_minutes, created_by=row.created_by)


def _set_dict(row: ExerciseSetRow, config: TrainingConfig) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "topic": row.topic, **_labels(config, row.topic),
            "library_seed": row.library_seed, "library_size": row.library_size,
            "case_ids": list(row.case_ids), "cases": len(row.case_ids),
            "pass_mark": (row.pass_mark if row.pass_mark is not None
                          else config.pass_marks[row.topic]),
            "time_limit_minutes": row.time_limit_minutes, "config_version": row.config_version,
            "active": row.active, "created_by": row.created_by,
            "created_at": utc(row.created_at).isoformat()}


def _summary(case: Case) -> tuple[str, str]:
    """One line on a case for the trainer's preview (Chinese, English)."""
    m = case.material
    if case.type == "flags":
        loan = {f["name"]: f["value"] for f in m.get("facts", {}).get("loan", [])}
        name = m.get("applicant", {}).get("name", "")
        amount = loan.get("amount")
        money = "—" if amount is None else f"{float(amount):,.0f}"
        return (f"{name}：申请 {money} 元，{loan.get('term_months')} 个月，用途 "
                f"{loan.get('purpose')}",
                f"{name}: CNY {money} over {loan.get('term_months')} months, purpose "
                f"{loan.get('purpose')}")
    if case.type == "valuation":
        s = m.get("subject", {})
        kind = m.get("labels_zh", {}).get("property_type", s.get("property_type"))
        return (f"{kind}，{s.get('floor_area')} ㎡，{s.get('build_year')} 年建成",
                f"{s.get('property_type')}, {s.get('floor_area')} m², built "
                f"{s.get('build_year')}")
    if case.type == "classification":
        loans = m.get("loans", [])
        dpd = max((int(ln.get("days_past_due") or 0) for ln in loans), default=0)
        return (f"{len(loans)} 笔贷款，最长逾期 {dpd} 天",
                f"{len(loans)} loans, longest {dpd} days past due")
    signals, loans = m.get("signals", []), m.get("loans", [])
    records = m.get("external_records", [])
    return (f"{len(signals)} 个预警信号，{len(loans)} 笔贷款，{len(records)} 条外部记录",
            f"{len(signals)} signals, {len(loans)} loans, {len(records)} external records")


# --------------------------------------------------------------------------- trainers


def topics(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The topics with their labels, default pass mark and the actions each one unlocks under
    the active training configuration."""
    config = active_config(uow)
    return [{"topic": t, **_labels(config, t), "pass_mark": config.pass_marks[t],
             "gated_actions": sorted(a for a, g in config.gates.items() if g == t)}
            for t in TOPICS]


def preview_cases(uow: UnitOfWork, user: CurrentUser, *, topic: str, seed: int, size: int
                  ) -> dict[str, Any]:
    """The cases of ``topic`` in the library of (``seed``, ``size``), with the engines'
    answers under the active parameter sets: what a trainer picks a set from."""
    require_role(user, *BUILDERS)
    if topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic!r}; one of {', '.join(TOPICS)}", field="topic")
    library = case_library(seed, size)
    config, engines = active_config(uow), active_engines(uow)
    cases = []
    for case in library.of_topic(topic):
        zh, en = _summary(case)
        cases.append({"id": case.id, "type": case.type, "difficulty": case.difficulty,
                      "summary_zh": zh, "summary_en": en,
                      "expected": exercise_for(case, engines, config).expected()})
    return {"topic": topic, **_labels(config, topic), "seed": seed, "size": size,
            "library_versions": dict(library.versions), "cases": cases}


def create_set(uow: UnitOfWork, user: CurrentUser, *, name: str, topic: str, seed: int,
               n: int | None = None, case_ids: Sequence[str] | None = None,
               size: int | None = None, pass_mark: float | None = None,
               time_limit: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A new exercise set: the chosen ``case_ids`` or the first ``n`` cases of the topic in
    the library of (``seed``, ``size``). The pass mark defaults to the topic's in the active
    training configuration and is fixed with the set; ``time_limit`` is in minutes."""
    require_role(user, *BUILDERS)
    at = _now(now)
    clean = str(name or "").strip()
    if not clean:
        raise InvalidInput("must not be empty", field="name")
    if len(clean) > MAX_NAME:
        raise InvalidInput(f"must have at most {MAX_NAME} characters", field="name")
    if topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic!r}; one of {', '.join(TOPICS)}", field="topic")
    if case_ids is None and n is None:
        raise InvalidInput("give the number of cases or choose the cases", field="n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int)
                          or not 1 <= n <= MAX_LIBRARY_SIZE):
        raise InvalidInput(f"must be a whole number from 1 to {MAX_LIBRARY_SIZE}; got {n!r}",
                           field="n")
    library_size = size if size is not None else (n if case_ids is None and n is not None
                                                  else DEFAULT_LIBRARY_SIZE)
    _check_library(seed, library_size)
    library = case_library(seed, library_size)
    config, engines = active_config(uow), active_engines(uow)
    if case_ids is None:
        assert n is not None
        pool = library.of_topic(topic)
        if len(pool) < n:
            raise InvalidInput(f"the library of seed {seed} (size {library_size}) has only "
                               f"{len(pool)} cases on {topic}; ask for fewer, a larger size "
                               "or another seed", field="n")
        chosen = tuple(c.id for c in pool[:n])
    else:
        chosen = tuple(case_ids)
    try:
        draft = ExerciseSet(id="new", topic=topic, case_ids=chosen, title_zh=clean,
                            title_en=clean,
                            pass_mark=(pass_mark if pass_mark is not None
                                       else config.pass_marks[topic]),
                            time_limit_minutes=time_limit, created_by=user.username)
        cases = draft.cases(library)
        for i, case in enumerate(cases):  # every case must be gradable by the active engines
            try:
                exercise_for(case, engines, config).expected()
            except DomainError as exc:
                raise DomainError(f"set.case_ids[{i}]", f"case {case.id} cannot be graded "
                                                        f"under the active parameters: "
                                                        f"{exc.field}: {exc.reason}") from None
    except DomainError as exc:
        err = _domain(exc, "set.")
        if err.field == "time_limit_minutes":
            err.field = "time_limit"
        raise err from None
    repo = TrainingRepository(uow.session)
    row = repo.add(ExerciseSetRow(
        name=clean, topic=topic, library_seed=seed, library_size=library_size,
        case_ids=list(draft.case_ids), pass_mark=draft.pass_mark,
        time_limit_minutes=draft.time_limit_minutes, config_version=config.version,
        active=True, created_by=user.username, created_at=at))
    uow.audit.record(actor=user.username, action="training_set_created", entity="training_set",
                     entity_id=row.id,
                     after={"name": clean, "topic": topic, "seed": seed, "size": library_size,
                            "case_ids": list(draft.case_ids), "pass_mark": draft.pass_mark,
                            "time_limit_minutes": draft.time_limit_minutes,
                            "config_version": config.version})
    uow.commit()
    return _set_dict(row, config)


def set_active(uow: UnitOfWork, user: CurrentUser, set_id: int, active: bool
               ) -> dict[str, Any]:
    """Retire a set (no new attempts; attempts and certifications stay) or bring it back."""
    require_role(user, *BUILDERS)
    row = _load_set(uow, user, set_id, lock=True)
    if row.active == active:
        raise Conflict(f"set {set_id} is already {'active' if active else 'retired'}",
                       field="active")
    row.active = active
    uow.audit.record(actor=user.username, action="training_set_" + (
        "reactivated" if active else "retired"), entity="training_set", entity_id=row.id,
        before={"active": not active}, after={"active": active})
    uow.commit()
    return _set_dict(row, active_config(uow))


# --------------------------------------------------------------------------- trainees


def list_sets(uow: UnitOfWork, user: CurrentUser, *, topic: str | None = None,
              include_retired: bool = False) -> list[dict[str, Any]]:
    """The sets (retired ones only for the builders), each with the user's own attempts and,
    for the builders, everyone's."""
    if topic is not None and topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic!r}; one of {', '.join(TOPICS)}", field="topic")
    repo = TrainingRepository(uow.session)
    config = active_config(uow)
    rows = repo.sets(active_only=not (include_retired and user.role in BUILDERS), topic=topic)
    mine: dict[int, list[AttemptRow]] = {}
    for a, _s in repo.attempts(username=user.username):
        mine.setdefault(a.set_id, []).append(a)
    counts = repo.set_counts() if user.role in BUILDERS else {}
    out = []
    for row in rows:
        done = mine.get(row.id, [])
        item = _set_dict(row, config)
        item["mine"] = {"attempts": len(done), "passed": any(a.passed for a in done),
                        "best": max((float(a.score) for a in done), default=None),
                        "last_attempt_id": done[-1].id if done else None}
        if user.role in BUILDERS:
            n, p = counts.get(row.id, (0, 0))
            item["attempts"], item["passed"] = n, p
        out.append(item)
    return out


def _live_start(repo: TrainingRepository, set_id: int, username: str) -> datetime | None:
    """The latest start of the set by ``username`` that no submitted attempt has used."""
    used = repo.submitted_starts(set_id, username)
    starts = [s for s in repo.starts(set_id, username) if s not in used]
    return starts[-1] if starts else None


def _start_dict(row: ExerciseSetRow, started: datetime | None, at: datetime
                ) -> dict[str, Any] | None:
    if started is None:
        return None
    limit = row.time_limit_minutes
    deadline = None if limit is None else started + timedelta(minutes=limit)
    return {"started_at": started.isoformat(),
            "deadline": None if deadline is None else deadline.isoformat(),
            "minutes_left": (None if deadline is None
                             else max(0.0, round((deadline - at).total_seconds() / 60, 1))),
            "over_time": deadline is not None and at > deadline}


def get_set_for_trainee(uow: UnitOfWork, user: CurrentUser, set_id: int, *,
                        now: datetime | None = None) -> dict[str, Any]:
    """The set's questions — the material, the rule book or tables to consult and the answer
    form — never the expected answers; with the user's running start and past attempts.

    A set with a time limit shows its questions to a trainee only while a start is running
    (``questions_hidden`` says so), so the time limit covers the reading too.
    """
    row = _load_set(uow, user, set_id)
    at = _now(now)
    config, engines = active_config(uow), active_engines(uow)
    repo = TrainingRepository(uow.session)
    start = _start_dict(row, _live_start(repo, row.id, user.username), at)
    hidden = (row.time_limit_minutes is not None and user.role not in BUILDERS
              and (start is None or start["over_time"]))
    questions = []
    if not hidden:
        try:
            cases = _exercise_set(row).cases(case_library(row.library_seed, row.library_size))
            questions = [exercise_for(c, engines, config).question() for c in cases]
        except DomainError as exc:
            raise Conflict(f"the set cannot be shown: {exc.field}: {exc.reason}",
                           field="set_id") from None
    attempts = [_attempt_summary(a, s) for a, s in repo.attempts(username=user.username,
                                                                 set_id=row.id)]
    return {"set": _set_dict(row, config), "questions": questions,
            "questions_hidden": hidden, "start": start,
            "attempts": list(reversed(attempts)),
            "unlocks": sorted(a for a, t in config.gates.items() if t == row.topic),
            "versions": {"training": config.version, **engines.versions()}}


def answer_forms(uow: UnitOfWork, user: CurrentUser, set_id: int) -> list[dict[str, Any]]:
    """What a form needs to read the answers: each case's id and type, and the loans of a
    classification case (no material, no answers)."""
    row = _load_set(uow, user, set_id)
    try:
        cases = _exercise_set(row).cases(case_library(row.library_seed, row.library_size))
    except DomainError as exc:
        raise Conflict(f"the set cannot be shown: {exc.field}: {exc.reason}",
                       field="set_id") from None
    return [{"case_id": c.id, "type": c.type,
             "loans": [str(ln["loan_id"]) for ln in c.material.get("loans", [])
                       if c.type == "classification"]} for c in cases]


def start_attempt(uow: UnitOfWork, user: CurrentUser, set_id: int, *,
                  now: datetime | None = None) -> dict[str, Any]:
    """Start (or resume) an attempt: the start is an audit record and the time limit counts
    from it. A start still within its time limit is resumed, not restarted; one whose time
    ran out without a submission is first recorded as a failed attempt with no answers, so
    starting again does not wipe out the time limit."""
    row = _load_set(uow, user, set_id)
    if not row.active:
        raise Conflict(f"set {set_id} is retired", field="set_id")
    at = _now(now)
    repo = TrainingRepository(uow.session)
    live = _live_start(repo, row.id, user.username)
    running = _start_dict(row, live, at)
    if running is not None and not running["over_time"]:
        return {"set_id": row.id, "resumed": True, **running}
    if live is not None and running is not None:  # the time ran out: nothing was submitted
        config, engines = active_config(uow), active_engines(uow)
        expired = repo.add(AttemptRow(
            set_id=row.id, username=user.username, started_at=live, submitted_at=at,
            answers={}, grades=[], score=0.0, passed=False,
            versions={"training": config.version, **engines.versions()}))
        uow.audit.record(actor=user.username, action="training_attempt_expired",
                         entity="training_attempt", entity_id=expired.id,
                         after={"set_id": row.id, "started_at": live.isoformat(),
                                "time_limit_minutes": row.time_limit_minutes, "score": 0.0,
                                "passed": False})
    uow.audit.record(actor=user.username, action=START_ACTION, entity=START_ENTITY,
                     entity_id=row.id, after={"started_at": at.isoformat(),
                                              "time_limit_minutes": row.time_limit_minutes})
    uow.commit()
    started = _start_dict(row, at, at)
    assert started is not None
    return {"set_id": row.id, "resumed": False, **started}


def submit_attempt(uow: UnitOfWork, user: CurrentUser, set_id: int, answers: Any, *,
                   now: datetime | None = None) -> dict[str, Any]:
    """Grade the answers with the engines under the active parameter sets, store the attempt
    (answers, each grade with the engine's explanation, the score and the versions) and, when
    it passed and is the user's first attempt at the set, certify the topic until the
    configured expiry.

    A wrong-form answer is refused naming ``answers[<case id>].<field>`` and nothing is
    stored. A set with a time limit needs a start; an attempt past the limit is stored and
    does not pass.
    """
    row = _load_set(uow, user, set_id)
    if not row.active:
        raise Conflict(f"set {set_id} is retired", field="set_id")
    if not isinstance(answers, Mapping):
        raise InvalidInput("must be an object of case id: answer", field="answers")
    at = _now(now)
    config, engines = active_config(uow), active_engines(uow)
    library = case_library(row.library_seed, row.library_size)
    repo = TrainingRepository(uow.session)
    started = _live_start(repo, row.id, user.username)
    if started is None:
        if row.time_limit_minutes is not None:
            raise Conflict("start the set first: its time limit counts from the start",
                           field="set_id")
        started = at
    minutes = max(0.0, (at - started).total_seconds() / 60)
    try:
        result = score_attempt(_exercise_set(row), answers, library, user=user.username,
                               submitted_on=_local_day(at), minutes_taken=minutes,
                               engines=engines, config=config)
    except DomainError as exc:
        raise _domain(exc) from None
    # a retake after an answered attempt has seen the engines' answers: it is graded, but
    # does not certify (the trainer builds a new set for another try)
    retake = any(a.answers for a, _ in repo.attempts(username=user.username, set_id=row.id))
    versions = {**result.versions, "case_library": f"seed {row.library_seed}, size "
                                                    f"{row.library_size}",
                "synth_params": str(library.versions.get("synth_params", ""))}
    attempt = repo.add(AttemptRow(
        set_id=row.id, username=user.username, started_at=started, submitted_at=at,
        answers=jsonable(dict(answers)), grades=[g.to_dict() for g in result.grades],
        score=round(result.total, 4), passed=result.passed, versions=versions))
    uow.audit.record(actor=user.username, action="training_attempt_submitted",
                     entity="training_attempt", entity_id=attempt.id,
                     after={"set_id": row.id, "topic": row.topic, "score": result.total,
                            "passed": result.passed, "over_time": result.over_time,
                            "minutes_taken": round(minutes, 2),
                            "unanswered": list(result.unanswered), "retake": retake,
                            "versions": versions})
    granted = None if retake else certify(result, config)
    cert_row = None
    if granted is not None:
        cert_row = repo.add(CertificationRow(
            username=user.username, topic=granted.topic, granted_on=granted.granted_on,
            expires_on=granted.expires_on, attempt_id=attempt.id,
            config_version=granted.config_version))
        uow.audit.record(actor=user.username, action="training_certified",
                         entity="certification", entity_id=cert_row.id,
                         after={"username": user.username, "topic": granted.topic,
                                "granted_on": granted.granted_on,
                                "expires_on": granted.expires_on, "attempt_id": attempt.id})
    uow.commit()
    return _attempt_dict(attempt, row, cert_row, config, _local_day(at))


# --------------------------------------------------------------------------- results


def _attempt_summary(a: AttemptRow, s: ExerciseSetRow) -> dict[str, Any]:
    minutes = max(0.0, (utc(a.submitted_at) - utc(a.started_at)).total_seconds() / 60)
    limit = s.time_limit_minutes
    return {"id": a.id, "set_id": s.id, "set_name": s.name, "topic": s.topic,
            "username": a.username, "started_at": utc(a.started_at).isoformat(),
            "submitted_at": utc(a.submitted_at).isoformat(),
            "submitted_on": _local_day(a.submitted_at).isoformat(),
            "minutes_taken": round(minutes, 1), "time_limit_minutes": limit,
            "over_time": limit is not None and minutes > limit,
            "score": float(a.score), "passed": a.passed}


def _cert_dict(c: CertificationRow, set_id: int | None, score: float | None,
               config: TrainingConfig, on: date) -> dict[str, Any]:
    return {"id": c.id, "username": c.username, "topic": c.topic, **_labels(config, c.topic),
            "granted_on": c.granted_on.isoformat(), "expires_on": c.expires_on.isoformat(),
            "valid": c.granted_on <= on < c.expires_on, "expired": on >= c.expires_on,
            "attempt_id": c.attempt_id, "set_id": set_id, "score": score,
            "config_version": c.config_version}


def _attempt_dict(a: AttemptRow, s: ExerciseSetRow, cert: CertificationRow | None,
                  config: TrainingConfig, on: date) -> dict[str, Any]:
    answered = set(a.answers)
    return {**_attempt_summary(a, s), **_labels(config, s.topic),
            "pass_mark": s.pass_mark if s.pass_mark is not None else config.pass_marks[s.topic],
            "grades": a.grades, "answers": a.answers,
            "unanswered": [cid for cid in s.case_ids if cid not in answered],
            "versions": a.versions,
            "certification": None if cert is None else _cert_dict(cert, s.id, float(a.score),
                                                                  config, on)}


def attempt_result(uow: UnitOfWork, user: CurrentUser, attempt_id: int,
                   on: date | None = None) -> dict[str, Any]:
    """A stored attempt with each grade and the engine's explanation: for its trainee and
    for the staff viewers."""
    repo = TrainingRepository(uow.session)
    found = repo.attempt(attempt_id)
    if found is None or (found[0].username != user.username and not _may_see_staff(user)):
        raise NotFound(f"no attempt {attempt_id}", field="attempt_id")
    a, s = found
    return _attempt_dict(a, s, repo.certification_of_attempt(a.id), active_config(uow),
                         on or date.today())


def _user_row(uow: UnitOfWork, user: CurrentUser, username: str) -> UserRow:
    if username != user.username and not _may_see_staff(user):
        raise PermissionDenied("only trainers, the risk department, supervisors and "
                               "administrators see other staff's training", field="username")
    row = uow.users.by_username(username)
    if row is None:
        raise NotFound(f"no user {username!r}", field="username")
    return row


def _results(pairs: Sequence[tuple[AttemptRow, ExerciseSetRow]]) -> list[AttemptResult]:
    return [AttemptResult(str(s.id), s.topic, a.username, _local_day(a.submitted_at), (), (),
                          float(a.score), float(s.pass_mark or 0.0), False, a.passed,
                          dict(a.versions)) for a, s in pairs]


def _topics(results: Sequence[AttemptResult], records: Sequence[Certification], username: str,
            on: date, config: TrainingConfig) -> list[dict[str, Any]]:
    return [{**t.to_dict(), **_labels(config, t.topic)}
            for t in staff_progress(results, records, username, on, config)]


def certifications(uow: UnitOfWork, user: CurrentUser, username: str | None = None,
                   on: date | None = None) -> list[dict[str, Any]]:
    """A staff member's certifications (default: the user's own), newest first, each valid or
    expired on day ``on``."""
    row = _user_row(uow, user, username or user.username)
    config, day = active_config(uow), on or date.today()
    return [_cert_dict(c, set_id, score, config, day) for c, set_id, score in
            TrainingRepository(uow.session).certifications(row.username)]


def progress(uow: UnitOfWork, user: CurrentUser, username: str | None = None,
             on: date | None = None) -> dict[str, Any]:
    """One staff member's progress topic by topic (attempts, passes, best and latest score,
    certification), their attempts (newest first) and certifications."""
    row = _user_row(uow, user, username or user.username)
    config, day = active_config(uow), on or date.today()
    repo = TrainingRepository(uow.session)
    pairs = repo.attempts(username=row.username)
    records = certification_records(uow, row.username)
    return {"username": row.username, "full_name": row.full_name, "role": row.role,
            "on": day.isoformat(),
            "topics": _topics(_results(pairs), records, row.username, day, config),
            "attempts": [_attempt_summary(a, s) for a, s in reversed(pairs)],
            "certifications": [_cert_dict(c, set_id, score, config, day) for c, set_id, score
                               in repo.certifications(row.username)],
            "gates": dict(config.gates), "validity_months": config.validity_months,
            "config_version": config.version}


def staff_overview(uow: UnitOfWork, user: CurrentUser, on: date | None = None
                   ) -> dict[str, Any]:
    """Every active staff member's progress and certification per topic (trainers, the risk
    department, supervisors and administrators)."""
    if not _may_see_staff(user):
        raise PermissionDenied("only trainers, the risk department, supervisors and "
                               "administrators see the staff's training", field="role")
    config, day = active_config(uow), on or date.today()
    repo = TrainingRepository(uow.session)
    results = _results(repo.attempts())
    records = certification_records(uow)
    staff = []
    for u in repo.staff():
        staff.append({"username": u.username, "full_name": u.full_name, "role": u.role,
                      "topics": _topics(results, records, u.username, day, config)})
    return {"on": day.isoformat(), "topics": [{"topic": t, **_labels(config, t)}
                                              for t in TOPICS],
            "staff": staff, "gates": dict(config.gates), "config_version": config.version}
