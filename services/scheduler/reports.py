"""When reports, notices and reminders are due, and the calls that have reform_tasks make them.

The scheduler only decides *when* and records the run; reform_tasks gathers the data, renders
and stores (`POST /api/tasks/v1/reports`, `POST /api/tasks/v1/reminders/run`).

A period's report is due at the first cron fire time after the period ends (cron per job in
settings, Asia/Shanghai). A job's round (at its cron fire, at start-up or on gaining leadership,
and again while it is unsettled) walks every period of each programme from its start, in order:
a period already done is skipped, a due one is run, and the first one that fails (or waits for
its retry) holds back the later ones — so after an outage every missed period is produced,
oldest first, exactly once (the run ledger's unique (job kind, period), and `if_absent` in
reform_tasks should a run die between generating and recording success).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scheduler.cron import Job, fired_on, midnight, next_fire
from services.scheduler.jobs import ProgrammeRef, list_programmes, run_due, run_once, settled
from shared.clock import SHANGHAI, now_utc
from shared.http import ServiceTokens
from shared.models import JobRun, JobRunStatus
from shared.periods import Period, period_containing
from shared.settings import Settings

PERIOD_KINDS = {Job.monthly_dispatch: "month", Job.quarterly_notice: "quarter"}


def due_periods(cron: CronTrigger, kind: str, programme: ProgrammeRef, now: datetime) -> list[str]:
    """The programme's periods (`month` / `quarter`) whose report is due by `now`, in order:
    those the job's cron has fired after."""
    due: list[str] = []
    period: Period = period_containing(programme.starts_on, kind)
    while period.start <= programme.ends_on:
        fires = next_fire(cron, midnight(period.end + timedelta(days=1)))
        if fires is None or fires > now:
            break
        due.append(period.id)
        period = period_containing(period.end + timedelta(days=1), kind)
    return due


def reminders_due_today(cron: CronTrigger, programme: ProgrammeRef, now: datetime) -> date | None:
    """Today (Shanghai), if the reminders cron has fired today and the programme is running."""
    today = now.astimezone(SHANGHAI).date()
    if not programme.starts_on <= today <= programme.ends_on:
        return None
    return today if fired_on(cron, today, now) else None


def ledger_key(programme: ProgrammeRef, period: str) -> str:
    """The run ledger's period: `2026-10`, prefixed by the programme when its code is not its
    year (two programmes in one year keep separate runs)."""
    return period if programme.code == period[:4] else f"{programme.code}:{period}"


class ReformTasks:
    """reform_tasks' endpoints the scheduler calls, as the `scheduler` service."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings, tokens: ServiceTokens):
        self._client = client
        self._settings = settings
        self._tokens = tokens

    def _url(self, path: str) -> str:
        return self._settings.reform_tasks_url.rstrip("/") + "/api/tasks/v1" + path

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._tokens.token('scheduler')}"}

    async def ready(self) -> bool:
        """reform_tasks and the services a report reads from all answer `/readyz` (at start-up
        they come up together; a report tried too early would fail and wait for its backoff)."""
        for base in (
            self._settings.reform_tasks_url,
            self._settings.evaluation_url,
            self._settings.hotline_url,
        ):
            try:
                response = await self._client.get(base.rstrip("/") + "/readyz")
            except httpx.HTTPError:
                return False
            if not response.is_success:
                return False
        return True

    async def programmes(self) -> list[ProgrammeRef]:
        """The open programmes: a closed one gets no report, notice or reminder."""
        listed = await list_programmes(self._client, self._settings, self._headers())
        return [p for p in listed if not p.closed]

    async def report(self, programme: str, kind: str, period: str) -> None:
        """A draft for the office to review and sign off (issue #20: the scheduler signs
        nothing)."""
        response = await self._client.post(
            self._url("/reports"),
            json={"kind": kind, "period": period, "programme": programme, "if_absent": True},
            headers=self._headers(),
        )
        response.raise_for_status()

    async def reminders(self, programme: str, day: date) -> list[dict[str, Any]]:
        response = await self._client.post(
            self._url("/reminders/run"),
            params={"programme": programme, "as_of": day.isoformat()},
            headers=self._headers(),
        )
        response.raise_for_status()
        return list(response.json()["sent"])


async def _succeeded(sessionmaker: async_sessionmaker[AsyncSession], job: Job) -> set[str]:
    """Periods of the job's runs already done: skipped without claiming."""
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(JobRun.period).where(
                JobRun.job_kind == job, JobRun.status == JobRunStatus.succeeded
            )
        )
        return set(rows.all())


async def report_round(
    sessionmaker: async_sessionmaker[AsyncSession],
    tasks: ReformTasks,
    settings: Settings,
    job: Job,
    cron: CronTrigger,
) -> bool:
    """Every monthly dispatch report (or quarterly notice) due by `now_utc()` by the job's
    `cron` and not yet done, oldest first per programme. Whether the round is settled: False
    while a period waits for a retry (the scheduler comes back for it)."""
    now = now_utc()
    stuck_after = timedelta(minutes=settings.scheduler_stuck_run_minutes)
    done = await _succeeded(sessionmaker, job)
    all_settled = True
    for programme in await tasks.programmes():
        for period in due_periods(cron, PERIOD_KINDS[job], programme, now):
            key = ledger_key(programme, period)
            if key in done:
                continue
            work = partial(tasks.report, programme.code, job, period)
            if await run_once(sessionmaker, job, key, work, stuck_after) is not True:
                if not await settled(sessionmaker, job, key):
                    all_settled = False
                break  # later periods wait for this one
    return all_settled


async def reminders_round(
    sessionmaker: async_sessionmaker[AsyncSession],
    tasks: ReformTasks,
    settings: Settings,
    cron: CronTrigger,
) -> bool:
    """Today's reminders for each running programme, once the reminders `cron` has fired today.
    Whether the round is settled (as `report_round`)."""
    now = now_utc()
    stuck_after = timedelta(minutes=settings.scheduler_stuck_run_minutes)
    all_settled = True
    for programme in await tasks.programmes():
        day = reminders_due_today(cron, programme, now)
        if day is None:
            continue
        remind = partial(tasks.reminders, programme.code, day)
        key = ledger_key(programme, day.isoformat())
        if not await run_due(sessionmaker, Job.reminders, key, remind, stuck_after):
            all_settled = False
    return all_settled
