"""The scheduler's loop: each job's round runs when its cron fires (`services.scheduler.cron`),
and the run ledger (`jobs.run_once`) decides what that round finds due.

- Leadership is checked every `LEADER_POLL` (10 s). Only the leader runs rounds; when a replica
  becomes leader (at start, or when the old leader dies) it runs every job's round once: the
  catch-up, which produces whatever was missed while no one led (a period is caught up once: the
  ledger has it done afterwards).
- After that a job's round runs only at its cron fire time.
- A round that is not settled (the services are not ready or the scheduler is held, the round
  raised, or the ledger has one of its runs failed and waiting for its backoff, or `running` on
  a replica that may have died) is run again after `RETRY_AFTER` (10 s), until it is settled.
  The retry round asks the ledger again, so a failed run actually runs again only once its
  backoff (2, 4, 8 … minutes) has passed, and a stuck one once `SCHEDULER_STUCK_RUN_MINUTES`
  has.

APScheduler's `CronTrigger` does the calendar; the loop is ours (rather than APScheduler's
`AsyncIOScheduler`) because it reads the time from `shared.clock` and waits through an injected
`wait`, so tests run it over simulated days without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import structlog
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scheduler.cron import Job, daily_period, latest_fire, next_fire
from services.scheduler.jobs import daily_sweeps, hotline_sweeps, prune_delivered_outbox, run_due
from services.scheduler.leader import Leadership
from services.scheduler.reports import ReformTasks, reminders_round, report_round
from shared.clock import SHANGHAI, now_utc
from shared.http import ServiceTokens
from shared.settings import Settings

log = structlog.get_logger("scheduler")
LEADER_POLL = timedelta(seconds=10)
RETRY_AFTER = timedelta(seconds=10)
# How far back the 12345 sweeps' round looks for its crontab's latest fire.
HOTLINE_SWEEP_LOOKBACK = timedelta(days=1)
Wait = Callable[[timedelta, asyncio.Event], Awaitable[None]]


async def wait_or_stop(delay: timedelta, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay.total_seconds())


class Rounds:
    """Each job's round, as of `now_utc()`: what the ledger says is due, run through it. A round
    returns whether it is settled (nothing left for a retry)."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        tokens: ServiceTokens,
        triggers: Mapping[Job, CronTrigger],
    ) -> None:
        """`triggers`: the ones the `Scheduler` fires the rounds by (`cron.triggers`); each round
        reads what is due from its own job's."""
        self._settings = settings
        self._sessionmaker = sessionmaker
        self._client = client
        self._tokens = tokens
        self._tasks = ReformTasks(client, settings, tokens)
        self._triggers = triggers

    async def ready(self) -> bool:
        """Not held by `SCHEDULER_HOLD_FILE` (make up's first start, until the demo orders are
        in), and the services answer: at start-up they come up with the scheduler, and a run
        claimed before they answer would fail and wait for its backoff."""
        hold = self._settings.scheduler_hold_file
        if hold is not None and await asyncio.to_thread(Path(hold).exists):
            log.info("round_held", hold_file=hold)
            return False
        if not await self._tasks.ready():
            log.info("round_waiting_for_services")
            return False
        return True

    async def run(self, job: Job) -> bool:
        match job:
            case Job.daily:
                return await self._daily()
            case Job.hotline_sweeps:
                return await self._hotline_sweeps()
            case Job.reminders:
                return await reminders_round(
                    self._sessionmaker, self._tasks, self._settings, self._triggers[job]
                )
            case Job.monthly_dispatch | Job.quarterly_notice:
                return await report_round(
                    self._sessionmaker, self._tasks, self._settings, job, self._triggers[job]
                )

    async def _daily(self) -> bool:
        """The sweeps, then the outbox prune, for the day of the daily cron's latest fire."""
        day = daily_period(self._triggers[Job.daily], now_utc()).isoformat()
        swept = await run_due(
            self._sessionmaker,
            "daily_sweeps",
            day,
            lambda: daily_sweeps(self._client, self._settings, self._tokens, day),
        )
        pruned = await run_due(
            self._sessionmaker,
            "outbox_prune",
            day,
            lambda: prune_delivered_outbox(self._sessionmaker),
        )
        return swept and pruned

    async def _hotline_sweeps(self) -> bool:
        """The 12345 sweeps for the crontab's latest fire (one ledger run per fire; a fire
        missed while no replica led is not made up: the next one sweeps everything due)."""
        fired = latest_fire(self._triggers[Job.hotline_sweeps], now_utc(), HOTLINE_SWEEP_LOOKBACK)
        if fired is None:
            return True
        return await run_due(
            self._sessionmaker,
            "hotline_sweeps",
            fired.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
            lambda: hotline_sweeps(self._client, self._settings, self._tokens),
        )


class Scheduler:
    """Runs each job's round at its cron fire time while this replica is leader (see the
    module's docstring for the catch-up and the retries)."""

    def __init__(
        self,
        triggers: Mapping[Job, CronTrigger],
        leadership: Leadership,
        rounds: Rounds,
        *,
        wait: Wait = wait_or_stop,
        leader_poll: timedelta = LEADER_POLL,
        retry_after: timedelta = RETRY_AFTER,
    ) -> None:
        self._triggers = triggers
        self._leadership = leadership
        self._rounds = rounds
        self._wait = wait
        self._leader_poll = leader_poll
        self._retry_after = retry_after
        self._leader = False
        self._next_poll = now_utc()
        self._next_fire: dict[Job, datetime] = {}
        self._pending: dict[Job, datetime] = {}  # job → when its round runs next

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set."""
        self._next_poll = now_utc()
        for job in self._triggers:
            self._plan(job, self._next_poll)
        while not stop.is_set():
            now = now_utc()
            if now >= self._next_poll:
                await self._poll_leadership(now)
            self._fire(now)
            if self._leader:
                await self._run_pending(now)
            await self._wait(self._until_next(now_utc()), stop)

    async def _poll_leadership(self, now: datetime) -> None:
        try:
            leader = await self._leadership.try_acquire()
        except Exception:
            log.exception("leadership_check_failed")
            leader = self._leadership.is_leader
        if leader and not self._leader:
            log.info("leadership_gained")
            self._pending = dict.fromkeys(self._triggers, now)  # the catch-up
        elif self._leader and not leader:
            log.info("leadership_lost")
            self._pending.clear()
        self._leader = leader
        self._next_poll = now + self._leader_poll

    def _fire(self, now: datetime) -> None:
        """Jobs whose fire time has come: their round is pending (on the leader)."""
        for job, fires in list(self._next_fire.items()):
            if fires <= now:
                if self._leader:
                    log.info("job_fired", job=job, fire_time=fires)
                    self._pending[job] = now
                self._plan(job, now + timedelta(microseconds=1))

    def _plan(self, job: Job, moment: datetime) -> None:
        """The job's next fire: the first at or after `moment`."""
        fires = next_fire(self._triggers[job], moment)
        if fires is None:
            log.warning("job_never_fires_again", job=job)
            self._next_fire.pop(job, None)
        else:
            self._next_fire[job] = fires

    async def _run_pending(self, now: datetime) -> None:
        due = [job for job, at in self._pending.items() if at <= now]
        if not due:
            return
        if not await self._ready():
            self._pending.update(dict.fromkeys(due, now + self._retry_after))
            return
        for job in due:
            try:
                settled = await self._rounds.run(job)
            except Exception:
                log.exception("scheduler_round_failed", job=job)
                settled = False
            if settled:
                del self._pending[job]
            else:
                self._pending[job] = now_utc() + self._retry_after

    async def _ready(self) -> bool:
        try:
            return await self._rounds.ready()
        except Exception:
            log.exception("scheduler_ready_check_failed")
            return False

    def _until_next(self, now: datetime) -> timedelta:
        """Until the next leadership check, fire time or retry, whichever is first."""
        soonest = min([self._next_poll, *self._next_fire.values(), *self._pending.values()])
        return max(soonest - now, timedelta(0))
