"""Jobs the scheduler runs while it is leader. Each (job kind, period) is claimed in the run
ledger first, so a period's work happens once however many replicas race; a failed run is tried
again with exponential backoff, up to MAX_ATTEMPTS. A run left `running` longer than
`stuck_after` (its replica died mid-run) counts as failed and is taken over. The ledger decides
*what* is due; `services.scheduler.schedule` decides *when* a round asks it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import structlog
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import now_utc
from shared.http import ServiceTokens
from shared.models import JobRun, JobRunStatus, OutboxEvent
from shared.settings import Settings

log = structlog.get_logger("scheduler.jobs")
OUTBOX_RETENTION = timedelta(days=30)
MAX_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=30)
# 催办 (`reminders`) last: it reads the orders the first two have just told about.
HOTLINE_SWEEPS = ("response-expiry", "overdue", "reminders")
HOTLINE_SWEEP_CALLS = 200  # × the sweep's batch of 500: 100k orders in one day's round
SWEEPS = ("lagging", "problems", "supervision")


@dataclass(frozen=True, slots=True)
class ProgrammeRef:
    code: str
    starts_on: date
    ends_on: date
    closed: bool = False  # the office closed its year (issue #21): it gets no job


async def list_programmes(
    client: httpx.AsyncClient, settings: Settings, headers: dict[str, str]
) -> list[ProgrammeRef]:
    """reform_tasks' programmes, newest first."""
    response = await client.get(
        f"{settings.reform_tasks_url.rstrip('/')}/api/tasks/v1/programmes", headers=headers
    )
    response.raise_for_status()
    return [
        ProgrammeRef(
            p["code"],
            date.fromisoformat(p["starts_on"]),
            date.fromisoformat(p["ends_on"]),
            p.get("closed_at") is not None,
        )
        for p in response.json()["items"]
    ]


def current_programme(programmes: list[ProgrammeRef], day: date) -> ProgrammeRef | None:
    """The programme reform_tasks works on by default on `day`: the newest that has started
    (before any has, the newest) — `ProgrammeRepository.current`."""
    return next(
        (p for p in programmes if p.starts_on <= day), programmes[0] if programmes else None
    )


async def start_run(
    session: AsyncSession, job_kind: str, period: str, stuck_after: timedelta = STUCK_AFTER
) -> JobRun | None:
    """Claim (job kind, period) in the ledger; None if another run has it (or it succeeded, or
    a failed one is not yet due for its retry)."""
    now = now_utc()
    row_id = (
        await session.execute(
            insert(JobRun)
            .values(job_kind=job_kind, period=period, status=JobRunStatus.running, started_at=now)
            .on_conflict_do_nothing(index_elements=[JobRun.job_kind, JobRun.period])
            .returning(JobRun.id)
        )
    ).scalar_one_or_none()
    if row_id is not None:
        return await session.scalar(select(JobRun).where(JobRun.id == row_id))
    run = await session.scalar(
        select(JobRun)
        .where(JobRun.job_kind == job_kind, JobRun.period == period)
        .with_for_update(skip_locked=True)
    )
    if run is None:
        return None
    if run.status is JobRunStatus.running:
        if run.started_at > now - stuck_after:
            return None
        log.warning("job_stuck", job=job_kind, period=period, started_at=run.started_at)
        if run.attempt >= MAX_ATTEMPTS:
            run.status, run.finished_at = JobRunStatus.failed, now
            run.error = f"stuck: still running after {stuck_after}"
            await session.flush()
            return None
    elif run.attempt >= MAX_ATTEMPTS:
        return None
    elif run.status is JobRunStatus.failed:
        if (run.finished_at or run.started_at) + timedelta(minutes=2**run.attempt) > now:
            return None
    else:
        return None
    run.status, run.attempt, run.error = JobRunStatus.running, run.attempt + 1, None
    run.started_at, run.finished_at = now, None
    await session.flush()
    return run


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_kind: str,
    period: str,
    work: Callable[[], Awaitable[object]],
    stuck_after: timedelta = STUCK_AFTER,
) -> bool | None:
    """None if not claimed; otherwise whether the work succeeded (recorded either way)."""
    async with sessionmaker() as session, session.begin():
        run = await start_run(session, job_kind, period, stuck_after)
        if run is None:
            return None
        run_id = run.id
    try:
        await work()
        status, error = JobRunStatus.succeeded, None
    except Exception as exc:
        status, error = JobRunStatus.failed, f"{type(exc).__name__}: {exc}"
        log.warning("job_failed", job=job_kind, period=period, error=error)
    async with sessionmaker() as session, session.begin():
        run = await session.get(JobRun, run_id)
        assert run is not None
        run.status, run.error, run.finished_at = status, error, now_utc()
    return status is JobRunStatus.succeeded


async def settled(
    sessionmaker: async_sessionmaker[AsyncSession], job_kind: str, period: str
) -> bool:
    """Whether the ledger is done with (job kind, period): succeeded, or failed with its
    attempts used. Anything else (failed and waiting for its backoff, `running` on a replica
    that may have died) needs the scheduler to come back for it."""
    async with sessionmaker() as session:
        run = await session.scalar(
            select(JobRun).where(JobRun.job_kind == job_kind, JobRun.period == period)
        )
    if run is None:
        return False
    if run.status is JobRunStatus.succeeded:
        return True
    return run.status is JobRunStatus.failed and run.attempt >= MAX_ATTEMPTS


async def run_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_kind: str,
    period: str,
    work: Callable[[], Awaitable[object]],
    stuck_after: timedelta = STUCK_AFTER,
) -> bool:
    """`run_once`, then whether (job kind, period) is settled (see `settled`)."""
    if await run_once(sessionmaker, job_kind, period, work, stuck_after) is True:
        return True
    return await settled(sessionmaker, job_kind, period)


async def prune_delivered_outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Delete outbox rows delivered more than 30 days ago (the inbox keeps the ids)."""
    async with sessionmaker() as session, session.begin():
        result = await session.execute(
            delete(OutboxEvent).where(
                OutboxEvent.delivered_at.is_not(None),
                OutboxEvent.delivered_at < datetime.now(UTC) - OUTBOX_RETENTION,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def daily_sweeps(
    client: httpx.AsyncClient,
    settings: Settings,
    tokens: ServiceTokens,
    day: str,
) -> None:
    """Lagging milestones, overdue problems and supervision escalation, as of `day`, for the
    programme current on that day unless its year is closed (reform_tasks does the work; each
    sweep is idempotent)."""
    headers = {"Authorization": f"Bearer {tokens.token('scheduler')}"}
    current = current_programme(
        await list_programmes(client, settings, headers), date.fromisoformat(day)
    )
    if current is not None and not current.closed:
        for sweep in SWEEPS:
            response = await client.post(
                f"{settings.reform_tasks_url.rstrip('/')}/api/tasks/v1/sweeps/{sweep}",
                params={"as_of": day, "programme": current.code},
                headers=headers,
            )
            response.raise_for_status()


async def hotline_sweeps(
    client: httpx.AsyncClient, settings: Settings, tokens: ServiceTokens
) -> None:
    """12345 orders whose signing limit passed unsigned and orders overdue (each told once),
    then 催办 of orders past a limit (each step once), as of now (hotline_ingest does the work)."""
    headers = {"Authorization": f"Bearer {tokens.token('scheduler')}"}
    for sweep in HOTLINE_SWEEPS:
        await _hotline_sweep(client, settings, headers, sweep)


async def _hotline_sweep(
    client: httpx.AsyncClient, settings: Settings, headers: dict[str, str], sweep: str
) -> None:
    """One hotline sweep, called again while it says more orders are due and it is still
    telling some (each call tells a bounded batch in its own transaction)."""
    for _ in range(HOTLINE_SWEEP_CALLS):
        response = await client.post(
            f"{settings.hotline_url.rstrip('/')}/api/hotline/v1/sweeps/{sweep}", headers=headers
        )
        response.raise_for_status()
        result = response.json()
        if not (result["remaining"] and result["announced"]):
            return
