"""When reports, notices and reminders are due, and the calls that have reform_tasks make them.

The scheduler only decides *when* and records the run; reform_tasks gathers the data, renders
and stores (`POST /api/tasks/v1/reports`, `POST /api/tasks/v1/reminders/run`).

A period's report is due at the first cron fire time after the period ends (cron per job in
settings, Asia/Shanghai). Each round walks every period of each programme from its start, in
order: a period already done is skipped, a due one is run, and the first one that fails (or waits
for its retry) holds back the later ones — so after an outage every missed period is produced,
oldest first, exactly once (the run ledger's unique (job kind, period), and `if_absent` in
reform_tasks should a run die between generating and recording success).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

import httpx
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scheduler.jobs import run_once
from shared.clock import SHANGHAI, now_utc
from shared.http import ServiceTokens
from shared.models import JobRun, JobRunStatus
from shared.periods import Period, period_containing
from shared.settings import Settings


@dataclass(frozen=True, slots=True)
class ProgrammeRef:
    code: str
    starts_on: date
    ends_on: date


def _trigger(crontab: str) -> CronTrigger:
    return CronTrigger.from_crontab(crontab, timezone=SHANGHAI)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def due_periods(crontab: str, kind: str, programme: ProgrammeRef, now: datetime) -> list[str]:
    """The programme's periods (`month` / `quarter`) whose report is due by `now`, in order."""
    trigger = _trigger(crontab)
    due: list[str] = []
    period: Period = period_containing(programme.starts_on, kind)
    while period.start <= programme.ends_on:
        fires = trigger.get_next_fire_time(None, _midnight(period.end + timedelta(days=1)))
        if fires is None or fires > now:
            break
        due.append(period.id)
        period = period_containing(period.end + timedelta(days=1), kind)
    return due


def reminders_due_today(crontab: str, programme: ProgrammeRef, now: datetime) -> date | None:
    """Today (Shanghai), if the reminders cron has fired today and the programme is running."""
    today = now.astimezone(SHANGHAI).date()
    if not programme.starts_on <= today <= programme.ends_on:
        return None
    fires = _trigger(crontab).get_next_fire_time(None, _midnight(today))
    return today if fires is not None and fires <= now else None


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
        response = await self._client.get(self._url("/programmes"), headers=self._headers())
        response.raise_for_status()
        return [
            ProgrammeRef(
                p["code"], date.fromisoformat(p["starts_on"]), date.fromisoformat(p["ends_on"])
            )
            for p in response.json()["items"]
        ]

    async def report(self, programme: str, kind: str, period: str, publish: bool) -> None:
        response = await self._client.post(
            self._url("/reports"),
            json={
                "kind": kind,
                "period": period,
                "programme": programme,
                "if_absent": True,
                "publish": publish,
            },
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


async def _succeeded(
    sessionmaker: async_sessionmaker[AsyncSession], job_kinds: tuple[str, ...]
) -> set[tuple[str, str]]:
    """(job kind, period) of the runs already done: skipped without claiming."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(JobRun.job_kind, JobRun.period).where(
                JobRun.job_kind.in_(job_kinds), JobRun.status == JobRunStatus.succeeded
            )
        )
        return {(kind, period) for kind, period in rows.all()}


async def catch_up(
    sessionmaker: async_sessionmaker[AsyncSession],
    tasks: ReformTasks,
    settings: Settings,
) -> None:
    """One scheduler round for reports, notices and reminders, as of `now_utc()`. The caller's
    round has checked that the services it needs are ready (`ReformTasks.ready`)."""
    now = now_utc()
    jobs = (
        ("monthly_dispatch", "month", settings.scheduler_monthly_dispatch_cron),
        ("quarterly_notice", "quarter", settings.scheduler_quarterly_notice_cron),
    )
    stuck_after = timedelta(minutes=settings.scheduler_stuck_run_minutes)
    done = await _succeeded(sessionmaker, tuple(job for job, _, _ in jobs))
    for programme in await tasks.programmes():
        for job_kind, period_kind, crontab in jobs:
            publish = job_kind == "monthly_dispatch" and settings.monthly_dispatch_auto_publish
            for period in due_periods(crontab, period_kind, programme, now):
                key = ledger_key(programme, period)
                if (job_kind, key) in done:
                    continue
                work = partial(tasks.report, programme.code, job_kind, period, publish)
                if await run_once(sessionmaker, job_kind, key, work, stuck_after) is not True:
                    break  # later periods wait for this one
        day = reminders_due_today(settings.scheduler_reminders_cron, programme, now)
        if day is not None:
            remind = partial(tasks.reminders, programme.code, day)
            key = ledger_key(programme, day.isoformat())
            await run_once(sessionmaker, "reminders", key, remind, stuck_after)
