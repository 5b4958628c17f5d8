"""Long jobs (the monitoring run, a stress test, a batch import) run in the background, one at a
time, with progress the pages poll.

The registry lives in the server process: a job's outcome is stored by the job itself (the
monitoring run in ``monitoring_runs``, ...), so a restart loses only the progress display of a
job that was running, and that job's own atomic write leaves nothing half-done.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ProgressFn = Callable[[str, int, int], None]
JobFn = Callable[[ProgressFn], dict[str, Any]]
KEEP = 50  # finished jobs remembered for their pages


@dataclass
class Job:
    id: str
    kind: str
    label: str
    started_by: str
    branch_id: int | None
    status: str = "queued"  # queued | running | done | failed
    stage: str = ""
    done: int = 0
    total: int = 0
    queued_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    link: str | None = None

    def to_dict(self) -> dict[str, Any]:
        share = (self.done / self.total) if self.total else (1.0 if self.status == "done"
                                                             else 0.0)
        return {"id": self.id, "kind": self.kind, "label": self.label,
                "started_by": self.started_by, "status": self.status, "stage": self.stage,
                "done": self.done, "total": self.total, "percent": round(100 * share),
                "queued_at": self.queued_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "result": self.result, "error": self.error, "link": self.link}


class JobRunner:
    """Runs submitted jobs one after another on a worker thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, label: str, fn: JobFn, *, started_by: str,
               branch_id: int | None = None, link: str | None = None) -> Job:
        job = Job(uuid.uuid4().hex[:12], kind, label, started_by, branch_id, link=link)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, fn)
        return job

    def _run(self, job: Job, fn: JobFn) -> None:
        job.status = "running"

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        try:
            result = fn(progress)
            link = result.pop("link", None)  # a job may point at what it made
            job.result, job.link = result, link or job.link
            job.status = "done"
        except Exception as exc:  # noqa: BLE001 - the job page shows why it failed
            field_name = getattr(exc, "field", None)
            reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            job.error = f"{field_name}: {reason}" if field_name else reason
            job.status = "failed"
        finally:
            job.finished_at = datetime.now(UTC)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def recent(self, kind: str | None = None) -> list[Job]:
        jobs = sorted(self._jobs.values(), key=lambda j: j.queued_at, reverse=True)
        return [j for j in jobs if kind is None or j.kind == kind]

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job ends (tests and the CLI)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in ("done", "failed")]
        finished.sort(key=lambda j: j.queued_at)
        for job in finished[:-KEEP] if len(finished) > KEEP else []:
            self._jobs.pop(job.id, None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
