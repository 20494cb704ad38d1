"""The scheduler over a simulated year (frozen clock, day by day): two replicas at once, a
three-day outage; exactly one monthly dispatch report per month and one notice per quarter,
missed periods caught up in order, reminders once each, a stuck run taken over."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.scheduler.cron import Job, trigger, triggers
from services.scheduler.jobs import run_once
from services.scheduler.leader import Leadership
from services.scheduler.reports import (
    ProgrammeRef,
    ReformTasks,
    due_periods,
    reminders_round,
    report_round,
)
from shared import clock
from shared.http import ServiceTokens
from shared.models import (
    JobRun,
    JobRunStatus,
    Milestone,
    RatingWindow,
    Report,
    ReportStatus,
    Supervision,
    SupervisionLevel,
    UnitKind,
    UnitMessage,
)
from shared.settings import Settings
from tests.conftest import Factory

SHANGHAI = clock.SHANGHAI
OUTAGE = (date(2026, 3, 30), date(2026, 4, 1))  # no replica runs on these three days
REMINDER_KINDS = (
    "milestone_due_soon",
    "milestone_due_today",
    "milestone_overdue",
    "quarterly_report_due",
    "rating_window_closing",
    "supervision_due",
)


@pytest.fixture(autouse=True)
def release_clock() -> Iterator[None]:
    yield
    clock.freeze(None)


async def _catch_up(
    sessionmaker: async_sessionmaker[AsyncSession], tasks: ReformTasks, settings: Settings
) -> bool:
    """Every job's round at once, missed periods first, as the scheduler runs them when it
    starts or gains the lead; whether every round is settled."""
    schedule = triggers(settings)
    rounds = [
        await report_round(sessionmaker, tasks, settings, job, schedule[job])
        for job in (Job.monthly_dispatch, Job.quarterly_notice)
    ]
    rounds.append(await reminders_round(sessionmaker, tasks, settings, schedule[Job.reminders]))
    return all(rounds)


@pytest.fixture
def tasks(report_stack: tuple[FastAPI, httpx.AsyncClient], settings: Settings) -> ReformTasks:
    # reform_tasks_url "" → the in-process app's base URL.
    local = settings.model_copy(update={"reform_tasks_url": ""})
    return ReformTasks(report_stack[1], local, ServiceTokens(settings))


async def _city(factory: Factory, session: AsyncSession) -> dict[str, int]:
    """Two tasks: 1 (shichang; zhengwu responsible) with milestones on 2026-03-31 (in the
    outage) and 2026-05-15 (done on 05-10); 2 (shuiwu; hexiqu responsible) due 2026-08-20, never
    done. A rating window closing 2026-06-30; a supervision due 2026-07-10."""
    await factory.unit("gaigeban", UnitKind.office, name="云岭市营商办")
    shichang = await factory.unit(
        "shichang", name="云岭市市场监督管理局", short_name="市市场监管局"
    )
    zhengwu = await factory.unit("zhengwu", name="云岭市政务服务管理局", short_name="市政务服务局")
    shuiwu = await factory.unit("shuiwu", name="国家税务总局云岭市税务局", short_name="市税务局")
    hexiqu = await factory.unit("hexiqu", UnitKind.district, name="河西区人民政府")
    programme = await factory.programme("2026")
    one = await factory.task(
        programme,
        1,
        shichang,
        [zhengwu],
        milestones=[(date(2026, 3, 31), "方案"), (date(2026, 5, 15), "上线")],
    )
    two = await factory.task(
        programme, 2, shuiwu, [hexiqu], milestones=[(date(2026, 8, 20), "推开")]
    )
    second = await session.scalar(
        select(Milestone).where(Milestone.task_id == one.id, Milestone.ordinal == 2)
    )
    assert second is not None
    second.completed_on = date(2026, 5, 10)
    session.add(
        RatingWindow(
            programme_id=programme.id,
            code="2026-H1",
            name="2026年上半年评分",
            opens_on=date(2026, 6, 1),
            closes_on=date(2026, 6, 30),
        )
    )
    milestone_two = await session.scalar(select(Milestone.id).where(Milestone.task_id == two.id))
    supervision = Supervision(
        programme_id=programme.id,
        unit_id=shuiwu.id,
        level=SupervisionLevel.first,
        milestone_id=milestone_two,
        reason="办税时间压缩进度滞后",
        issued_on=date(2026, 7, 1),
        due_on=date(2026, 7, 10),
        issued_by="office",
    )
    session.add(supervision)
    await session.commit()
    return {"units": 4, "supervision": supervision.id}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


async def test_a_simulated_year_with_two_replicas_and_an_outage(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    factory: Factory,
    tasks: ReformTasks,
    settings: Settings,
) -> None:
    city = await _city(factory, session)
    replicas = [Leadership(engine), Leadership(engine)]
    rounds = Counter[int]()

    async def replica(index: int) -> None:
        if await replicas[index].try_acquire():
            rounds[index] += 1
            await _catch_up(sessionmaker, tasks, settings)

    try:
        assert await replicas[0].try_acquire()  # replica 0 starts first and leads
        day = date(2026, 1, 1)
        while day <= date(2027, 1, 2):
            if day == date(2026, 7, 1):
                await replicas[0].release()  # replica 0 goes away; replica 1 takes over
            if not OUTAGE[0] <= day <= OUTAGE[1]:
                clock.freeze(_at(day))
                alive = (0, 1) if day < date(2026, 7, 1) else (1,)
                await asyncio.gather(*(replica(i) for i in alive))
            day += timedelta(days=1)
    finally:
        for leadership in replicas:
            await leadership.release()
    # One leader per day: replica 0 until it left (181 days less the outage), then replica 1.
    assert (rounds[0], rounds[1]) == (181 - 3, 184 + 2)

    reports = (
        await session.execute(select(Report.kind, Report.period, Report.version, Report.status))
    ).all()
    monthly = sorted(p for k, p, _, _ in reports if k == "monthly_dispatch")
    quarterly = sorted(p for k, p, _, _ in reports if k == "quarterly_notice")
    assert monthly == [f"2026-{m:02d}" for m in range(1, 13)]
    assert quarterly == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert {v for _, _, v, _ in reports} == {1}
    # Issue #20: the scheduler drafts; the office reviews and signs each off.
    assert {s for _, _, _, s in reports} == {ReportStatus.draft}
    # March and Q1 were due during the outage: produced on the first day back, March first.
    runs = {(r.job_kind, r.period): r for r in (await session.scalars(select(JobRun))).all()}
    march, q1 = runs[("monthly_dispatch", "2026-03")], runs[("quarterly_notice", "2026-Q1")]
    assert march.started_at.astimezone(SHANGHAI).date() == date(2026, 4, 2)
    assert q1.started_at.astimezone(SHANGHAI).date() == date(2026, 4, 2)
    assert runs[("monthly_dispatch", "2026-02")].started_at.astimezone(SHANGHAI).date() == date(
        2026, 3, 1
    )
    assert all(r.status is JobRunStatus.succeeded and r.attempt == 1 for r in runs.values())
    # A report's numbers are as of its month end: March's snapshot sees task 1's first
    # milestone (due 03-31) as not yet late, even though it was generated on 04-02.
    march_report = await session.scalar(select(Report).where(Report.period == "2026-03"))
    assert march_report is not None
    assert march_report.data["as_of_date"] == "2026-03-31"
    assert march_report.data["totals"]["lagging"] == 0

    messages = (
        await session.execute(
            select(UnitMessage.kind, UnitMessage.dedupe_key).where(
                UnitMessage.kind.in_(REMINDER_KINDS)
            )
        )
    ).all()
    kinds = Counter(kind for kind, _ in messages)
    # Task 1 milestone 1 (03-31, lead + responsible): due soon once each; due today missed in
    # the outage; overdue once each. Milestone 2 (05-15, done 05-10): due soon only.
    # Task 2 (08-20, two units): due soon, due today, overdue once each.
    assert kinds["milestone_due_soon"] == 2 + 2 + 2
    assert kinds["milestone_due_today"] == 2
    assert kinds["milestone_overdue"] == 2 + 2
    assert kinds["quarterly_report_due"] == 4 * city["units"]
    assert kinds["rating_window_closing"] == 2  # the two lead units
    assert kinds["supervision_due"] == 1
    assert all(
        key.endswith(f":{city['supervision']}:2026-07-10")
        for kind, key in messages
        if kind == "supervision_due"
    )
    delivered = await session.scalar(
        select(func.count()).select_from(UnitMessage).where(UnitMessage.kind == "monthly_dispatch")
    )
    assert delivered == 0  # nothing reaches a unit before it is signed off


async def test_a_stuck_run_is_taken_over_and_completed(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    factory: Factory,
    tasks: ReformTasks,
    settings: Settings,
) -> None:
    await _city(factory, session)
    clock.freeze(_at(date(2026, 2, 3)))
    # A replica claimed January, then died two hours ago without recording an outcome.
    session.add(
        JobRun(
            job_kind="monthly_dispatch",
            period="2026-01",
            status=JobRunStatus.running,
            started_at=clock.now_utc() - timedelta(hours=2),
        )
    )
    await session.commit()
    await _catch_up(sessionmaker, tasks, settings)
    run = await session.scalar(
        select(JobRun).where(JobRun.job_kind == "monthly_dispatch", JobRun.period == "2026-01")
    )
    assert run is not None
    await session.refresh(run)
    assert (run.status, run.attempt) == (JobRunStatus.succeeded, 2)
    count = await session.scalar(
        select(func.count()).select_from(Report).where(Report.period == "2026-01")
    )
    assert count == 1


async def test_a_fresh_running_claim_is_left_alone(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    clock.freeze(_at(date(2026, 2, 3)))
    session.add(
        JobRun(
            job_kind="monthly_dispatch",
            period="2026-01",
            status=JobRunStatus.running,
            started_at=clock.now_utc() - timedelta(minutes=5),
        )
    )
    await session.commit()

    async def work() -> None:
        raise AssertionError("must not run while another replica is on it")

    assert await run_once(sessionmaker, "monthly_dispatch", "2026-01", work) is None


def test_a_period_is_due_at_the_first_cron_fire_after_it_ends() -> None:
    programme = ProgrammeRef("2026", date(2026, 1, 1), date(2026, 12, 31))
    cron = trigger("0 2 1 * *")
    assert due_periods(cron, "month", programme, _at(date(2026, 11, 1), hour=1)) == [
        f"2026-{m:02d}" for m in range(1, 10)
    ]
    assert due_periods(cron, "month", programme, _at(date(2026, 11, 1), hour=2))[-1] == "2026-10"
    quarterly = trigger("0 3 1 1,4,7,10 *")
    quarters = due_periods(quarterly, "quarter", programme, _at(date(2026, 12, 1)))
    assert quarters == ["2026-Q1", "2026-Q2", "2026-Q3"]


async def test_on_the_demo_data_the_first_round_catches_up_every_past_period(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    tasks: ReformTasks,
    settings: Settings,
) -> None:
    """`make up` on 2026-12-01: the scheduler's first round produces 2026-01 … 2026-11 and
    2026-Q1 … Q3 for the demo programme (210 tasks, 49 units)."""
    from shared.demo.loader import load

    today = date(2026, 12, 1)
    await load(session, password="pw-demo", as_of=today)
    await session.commit()
    clock.freeze(_at(today))
    await _catch_up(sessionmaker, tasks, settings)
    reports = (await session.execute(select(Report.kind, Report.period, Report.data))).all()
    assert sorted(p for k, p, _ in reports if k == "monthly_dispatch") == [
        f"2026-{m:02d}" for m in range(1, 12)
    ]
    assert sorted(p for k, p, _ in reports if k == "quarterly_notice") == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    november = next(d for k, p, d in reports if p == "2026-11")
    assert november["totals"]["tasks"] == 210
    assert (
        sum(len(g["rows"]) for g in november["rankings"]) == 49
    )  # all 49; the office is not ranked


async def test_a_closed_programme_gets_no_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    factory: Factory,
    tasks: ReformTasks,
    settings: Settings,
    report_stack: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """Issue #21: 2025 is closed, 2026 open. On 2 February 2026 the rounds write January's
    report for 2026 only (none of 2025's twelve months and four quarters), and the daily sweeps
    sweep the current 2026 (2025's lagging milestone is not announced); once 2026 is closed
    too, no programme gets a job."""
    from services.scheduler.jobs import daily_sweeps
    from shared.models import OutboxEvent, Programme

    await _city(factory, session)
    open_year = await session.scalar(select(Programme).where(Programme.code == "2026"))
    assert open_year is not None
    keji = await factory.unit("keji", name="云岭市科学技术局")
    await factory.task(open_year, 3, keji, [], milestones=[(date(2026, 1, 15), "启动")])
    closed = await factory.programme("2025")
    shichang = await factory.unit("shichang25", name="云岭市市场监督管理局（2025）")
    await factory.task(closed, 1, shichang, [], milestones=[(date(2025, 6, 30), "未完成")])
    closed.closed_at, closed.closed_by = datetime(2026, 1, 20, tzinfo=UTC), "office"
    await session.commit()
    clock.freeze(_at(date(2026, 2, 2)))

    assert [p.code for p in await tasks.programmes()] == ["2026"]
    assert await _catch_up(sessionmaker, tasks, settings)
    reports = (await session.execute(select(Report.programme_id, Report.period))).all()
    assert sorted(reports) == [(open_year.id, "2026-01")]
    runs = (await session.scalars(select(JobRun.period))).all()
    assert not [period for period in runs if period.startswith("2025")]

    await daily_sweeps(
        report_stack[1],
        settings.model_copy(update={"reform_tasks_url": ""}),
        ServiceTokens(settings),
        "2026-02-02",
    )
    lagging = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "milestone.lagging"))
    ).all()
    assert [e.unit_code for e in lagging] == ["keji"]

    # 2026 closed as well: its sweeps are not called (they would be refused), nothing is swept.
    open_year.closed_at, open_year.closed_by = datetime(2026, 4, 2, tzinfo=UTC), "office"
    await session.commit()
    clock.freeze(_at(date(2026, 4, 5)))
    await daily_sweeps(
        report_stack[1],
        settings.model_copy(update={"reform_tasks_url": ""}),
        ServiceTokens(settings),
        "2026-04-05",
    )
    assert await tasks.programmes() == []
    still = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "milestone.lagging")
    )
    assert len(still.all()) == 1  # task 1's milestone of 03-31 is not announced
