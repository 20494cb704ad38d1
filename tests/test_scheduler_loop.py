"""The scheduler's loop (`python -m services.scheduler` without the process around it) over
simulated time: each job runs at its cron time and not before, a start catches up what was
missed exactly once, a failed run is retried after its backoff, and the Asia/Shanghai calendar
(no daylight saving) holds across month and year ends and the leap day.

reform_tasks, evaluation and hotline_ingest are a recorder behind `httpx.MockTransport` (each
call noted with the simulated time it came at); the leadership lock and the run ledger are the
real ones in PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.scheduler.cron import next_fire, trigger, triggers
from services.scheduler.leader import Leadership
from services.scheduler.schedule import Rounds, Scheduler
from shared import clock
from shared.clock import SHANGHAI
from shared.http import ServiceTokens
from shared.models import JobRun, JobRunStatus
from shared.settings import Settings

LEADER_POLL = timedelta(minutes=10)  # the real 10 s would only make the simulation slower


@pytest.fixture(autouse=True)
def release_clock() -> Iterator[None]:
    yield
    clock.freeze(None)


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class Services:
    """What the scheduler calls, answering as the real services do. `calls` holds
    ("MM-DD HH:MM:SS" Shanghai, what): `sweeps <as_of>` (reform_tasks' lagging sweep, the first
    of the daily sweeps), `report <programme> <kind> <period>`, `reminders <programme> <as_of>`."""

    programmes: list[tuple[str, date, date]]
    ready_from: datetime | None = None
    failing_reports: int = 0
    calls: list[tuple[str, str]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        now = clock.now_utc()
        path = request.url.path
        if path == "/readyz":
            ready = self.ready_from is None or now >= self.ready_from
            return httpx.Response(200 if ready else 503)
        if path == "/api/tasks/v1/programmes":
            items = [
                {"code": code, "starts_on": str(starts), "ends_on": str(ends)}
                for code, starts, ends in self.programmes
            ]
            return httpx.Response(200, json={"items": items})
        if path.startswith("/api/hotline/v1/sweeps/"):
            return httpx.Response(200, json={"remaining": 0, "announced": 0})
        at = now.astimezone(SHANGHAI).strftime("%m-%d %H:%M:%S")
        if path.startswith("/api/tasks/v1/sweeps/"):
            if path.endswith("/lagging"):
                self.calls.append((at, f"sweeps {request.url.params['as_of']}"))
            return httpx.Response(200, json={})
        if path == "/api/tasks/v1/reports":
            body = json.loads(request.content)
            self.calls.append((at, f"report {body['programme']} {body['kind']} {body['period']}"))
            if self.failing_reports:
                self.failing_reports -= 1
                return httpx.Response(503, json={"title": "evaluation unavailable"})
            return httpx.Response(201, json={})
        if path == "/api/tasks/v1/reminders/run":
            params = request.url.params
            self.calls.append((at, f"reminders {params['programme']} {params['as_of']}"))
            return httpx.Response(200, json={"sent": []})
        return httpx.Response(404)


class SimulatedTime:
    """The frozen clock, moved on only when the scheduler waits (straight to what it waits for);
    past `end` the scheduler is stopped."""

    def __init__(self, start: datetime, end: datetime) -> None:
        clock.freeze(start.astimezone(UTC))
        self._end = end
        self._waits = 0

    async def __call__(self, delay: timedelta, stop: asyncio.Event) -> None:
        self._waits += 1
        assert self._waits < 10_000, "the scheduler never waits for anything"
        moment = clock.now_utc() + delay
        if moment > self._end:
            stop.set()
        else:
            clock.freeze(moment)


@dataclass
class Stack:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings

    async def run(self, services: Services, start: str, end: str) -> None:
        """One scheduler process, alone, from `start` to `end` (Shanghai)."""
        leadership = Leadership(self.engine)
        client = httpx.AsyncClient(transport=httpx.MockTransport(services.handle))
        schedule = triggers(self.settings)
        tokens = ServiceTokens(self.settings)
        rounds = Rounds(self.settings, self.sessionmaker, client, tokens, schedule)
        scheduler = Scheduler(
            schedule,
            leadership,
            rounds,
            wait=SimulatedTime(shanghai(start), shanghai(end)),
            leader_poll=LEADER_POLL,
        )
        try:
            await scheduler.run(asyncio.Event())
        finally:
            await leadership.release()
            await client.aclose()


@pytest.fixture
def stack(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> Stack:
    return Stack(engine, sessionmaker, settings)


PROGRAMME_2026 = ("2026", date(2026, 1, 1), date(2026, 12, 31))
YEAR_2027 = (date(2027, 1, 1), date(2027, 12, 31))


async def _runs(session: AsyncSession) -> dict[tuple[str, str], tuple[str, JobRunStatus, int]]:
    """(job kind, period) → (started "MM-DD HH:MM:SS" Shanghai, status, attempt)."""
    runs = (await session.scalars(select(JobRun))).all()
    return {
        (run.job_kind, run.period): (
            run.started_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M:%S"),
            run.status,
            run.attempt,
        )
        for run in runs
    }


async def test_each_job_runs_at_its_cron_time_not_before(
    stack: Stack, session: AsyncSession
) -> None:
    """Started at noon on Jan 31: the start catches up that day's sweeps and reminders; after
    that each job waits for its own time (sweeps 01:05, January's report 02:00 on Feb 1,
    reminders 08:00, the 12345 sweeps every 10 minutes), once, and nothing runs at the
    leadership checks in between."""
    services = Services([PROGRAMME_2026])
    await stack.run(services, "2026-01-31 12:00", "2026-02-01 12:00")
    assert services.calls == [
        ("01-31 12:00:00", "sweeps 2026-01-31"),
        ("01-31 12:00:00", "reminders 2026 2026-01-31"),
        ("02-01 01:05:00", "sweeps 2026-02-01"),
        ("02-01 02:00:00", "report 2026 monthly_dispatch 2026-01"),
        ("02-01 08:00:00", "reminders 2026 2026-02-01"),
    ]
    runs = await _runs(session)
    assert runs[("monthly_dispatch", "2026-01")] == ("02-01 02:00:00", JobRunStatus.succeeded, 1)
    assert runs[("outbox_prune", "2026-02-01")] == ("02-01 01:05:00", JobRunStatus.succeeded, 1)
    hotline = {period: run for (kind, period), run in runs.items() if kind == "hotline_sweeps"}
    assert len(runs) - len(hotline) == 7  # sweeps, prune ×2 days, the report, reminders ×2 days
    # The 12345 sweeps: once per fire of their crontab (every 10 minutes), at the fire.
    assert len(hotline) == 24 * 6 + 1
    assert hotline["2026-01-31T12:00"] == ("01-31 12:00:00", JobRunStatus.succeeded, 1)
    assert hotline["2026-02-01T03:10"] == ("02-01 03:10:00", JobRunStatus.succeeded, 1)


async def test_a_missed_period_is_caught_up_once_at_the_next_start(
    stack: Stack, session: AsyncSession
) -> None:
    """Down from 00:30 to 09:30 on Apr 1: the sweeps (01:05), March's report (02:00), Q1's
    notice (03:00) and the reminders (08:00) are all caught up at 09:30, once; the next day's
    jobs run at their times again, and a later restart finds nothing left to do."""
    services = Services([PROGRAMME_2026])
    await stack.run(services, "2026-03-31 12:00", "2026-04-01 00:30")
    assert services.calls == [  # a first start: the year's reports so far, in order
        ("03-31 12:00:00", "sweeps 2026-03-31"),
        ("03-31 12:00:00", "report 2026 monthly_dispatch 2026-01"),
        ("03-31 12:00:00", "report 2026 monthly_dispatch 2026-02"),
        ("03-31 12:00:00", "reminders 2026 2026-03-31"),
    ]
    services.calls.clear()

    await stack.run(services, "2026-04-01 09:30", "2026-04-02 12:00")
    await stack.run(services, "2026-04-02 12:00", "2026-04-02 13:00")  # a restart
    assert services.calls == [
        ("04-01 09:30:00", "sweeps 2026-04-01"),
        ("04-01 09:30:00", "report 2026 monthly_dispatch 2026-03"),
        ("04-01 09:30:00", "report 2026 quarterly_notice 2026-Q1"),
        ("04-01 09:30:00", "reminders 2026 2026-04-01"),
        ("04-02 01:05:00", "sweeps 2026-04-02"),
        ("04-02 08:00:00", "reminders 2026 2026-04-02"),
    ]
    runs = await _runs(session)
    assert runs[("monthly_dispatch", "2026-03")] == ("04-01 09:30:00", JobRunStatus.succeeded, 1)
    assert runs[("quarterly_notice", "2026-Q1")] == ("04-01 09:30:00", JobRunStatus.succeeded, 1)


async def test_a_failed_run_is_retried_after_its_backoff_not_at_every_check(
    stack: Stack, session: AsyncSession
) -> None:
    """January's report fails at 02:00 (evaluation down): the ledger's backoff (2 minutes after
    a first failure) decides when it runs again, whatever the loop's 10-second retry checks."""
    services = Services([PROGRAMME_2026], failing_reports=1)
    await stack.run(services, "2026-02-01 01:30", "2026-02-01 04:00")
    reports = [(at, what) for at, what in services.calls if what.startswith("report")]
    assert reports == [
        ("02-01 02:00:00", "report 2026 monthly_dispatch 2026-01"),  # 503
        ("02-01 02:02:00", "report 2026 monthly_dispatch 2026-01"),
    ]
    runs = await _runs(session)
    assert runs[("monthly_dispatch", "2026-01")] == ("02-01 02:02:00", JobRunStatus.succeeded, 2)


async def test_a_run_left_running_by_a_dead_leader_is_taken_over_once_stuck(
    stack: Stack, session: AsyncSession
) -> None:
    """The leader died at 02:00 on Feb 1 with January's report `running`; this replica, leader
    from 02:10, leaves it alone until it has been running for SCHEDULER_STUCK_RUN_MINUTES (30),
    then takes it over (attempt 2)."""
    session.add(
        JobRun(
            job_kind="monthly_dispatch",
            period="2026-01",
            status=JobRunStatus.running,
            started_at=shanghai("2026-02-01 02:00"),
        )
    )
    await session.commit()
    services = Services([PROGRAMME_2026])
    await stack.run(services, "2026-02-01 02:10", "2026-02-01 04:00")
    reports = [(at, what) for at, what in services.calls if what.startswith("report")]
    assert reports == [("02-01 02:30:00", "report 2026 monthly_dispatch 2026-01")]
    runs = await _runs(session)
    assert runs[("monthly_dispatch", "2026-01")] == ("02-01 02:30:00", JobRunStatus.succeeded, 2)


async def test_the_start_waits_for_the_services_then_catches_up_once(
    stack: Stack, session: AsyncSession
) -> None:
    """At a start the services come up with the scheduler: nothing is claimed (and left to a
    backoff) until they all answer `/readyz`; then the catch-up runs, at the next check."""
    services = Services([PROGRAMME_2026], ready_from=shanghai("2026-02-01 12:00:25"))
    await stack.run(services, "2026-02-01 12:00", "2026-02-01 13:00")
    assert services.calls == [
        ("02-01 12:00:30", "sweeps 2026-02-01"),
        ("02-01 12:00:30", "report 2026 monthly_dispatch 2026-01"),
        ("02-01 12:00:30", "reminders 2026 2026-02-01"),
    ]
    assert {status for _, status, _ in (await _runs(session)).values()} == {JobRunStatus.succeeded}


@pytest.mark.parametrize(
    ("programmes", "start", "end", "calls"),
    [
        pytest.param(
            [("2026", date(2026, 12, 1), date(2026, 12, 31)), ("2027", *YEAR_2027)],
            "2026-12-31 12:00",
            "2027-01-01 12:00",
            [
                ("12-31 12:00:00", "sweeps 2026-12-31"),
                ("12-31 12:00:00", "reminders 2026 2026-12-31"),
                ("01-01 01:05:00", "sweeps 2027-01-01"),
                ("01-01 02:00:00", "report 2026 monthly_dispatch 2026-12"),
                ("01-01 03:00:00", "report 2026 quarterly_notice 2026-Q4"),
                ("01-01 08:00:00", "reminders 2027 2027-01-01"),
            ],
            id="december-to-january",
        ),
        pytest.param(
            [("2028", date(2028, 2, 1), date(2028, 12, 31))],
            "2028-02-28 12:00",
            "2028-03-01 12:00",
            [
                ("02-28 12:00:00", "sweeps 2028-02-28"),
                ("02-28 12:00:00", "reminders 2028 2028-02-28"),
                ("02-29 01:05:00", "sweeps 2028-02-29"),
                ("02-29 08:00:00", "reminders 2028 2028-02-29"),
                ("03-01 01:05:00", "sweeps 2028-03-01"),
                ("03-01 02:00:00", "report 2028 monthly_dispatch 2028-02"),
                ("03-01 08:00:00", "reminders 2028 2028-03-01"),
            ],
            id="leap-february",
        ),
        pytest.param(
            [("2027", *YEAR_2027)],
            "2027-02-27 12:00",
            "2027-03-01 12:00",
            [
                ("02-27 12:00:00", "sweeps 2027-02-27"),
                ("02-27 12:00:00", "report 2027 monthly_dispatch 2027-01"),
                ("02-27 12:00:00", "reminders 2027 2027-02-27"),
                ("02-28 01:05:00", "sweeps 2027-02-28"),
                ("02-28 08:00:00", "reminders 2027 2027-02-28"),
                ("03-01 01:05:00", "sweeps 2027-03-01"),
                ("03-01 02:00:00", "report 2027 monthly_dispatch 2027-02"),
                ("03-01 08:00:00", "reminders 2027 2027-03-01"),
            ],
            id="february-without-a-29th",
        ),
    ],
)
async def test_the_loop_keeps_shanghai_time_across_month_and_year_ends(
    stack: Stack,
    programmes: list[tuple[str, date, date]],
    start: str,
    end: str,
    calls: list[tuple[str, str]],
) -> None:
    services = Services(programmes)
    await stack.run(services, start, end)
    assert services.calls == calls


@pytest.mark.parametrize(
    ("crontab", "after", "fires"),
    [
        ("0 2 1 * *", "2026-01-31T12:00+08:00", "2026-01-31T18:00Z"),  # Jan 31 → Feb 1 02:00
        ("0 2 1 * *", "2026-07-31T12:00+08:00", "2026-07-31T18:00Z"),  # summer: still UTC+8
        ("0 2 1 * *", "2026-12-31T12:00+08:00", "2026-12-31T18:00Z"),  # Dec → Jan 1 02:00
        ("0 3 1 1,4,7,10 *", "2026-10-01T03:00:01+08:00", "2026-12-31T19:00Z"),
        ("5 1 * * *", "2028-02-28T02:00+08:00", "2028-02-28T17:05Z"),  # the leap day, 01:05
        ("5 1 * * *", "2027-02-28T02:00+08:00", "2027-02-28T17:05Z"),  # 2027: Mar 1, 01:05
        ("0 9 29 * *", "2027-01-30T00:00+08:00", "2027-03-29T01:00Z"),  # no Feb 29 in 2027
        ("0 9 29 2 *", "2026-03-01T00:00+08:00", "2028-02-29T01:00Z"),  # next Feb 29: 2028
        ("0 2 31 * *", "2026-03-31T02:00:01+08:00", "2026-05-30T18:00Z"),  # April has no 31st
    ],
)
def test_next_fire_is_shanghai_wall_time_all_year(crontab: str, after: str, fires: str) -> None:
    moment = next_fire(trigger(crontab), datetime.fromisoformat(after))
    assert moment == datetime.fromisoformat(fires)
    assert moment is not None
    assert moment.utcoffset() == timedelta(hours=8)
