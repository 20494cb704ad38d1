"""When each scheduler job runs: one crontab per job, read in Asia/Shanghai (UTC+8 all year, no
daylight saving). APScheduler's `CronTrigger` does the calendar arithmetic (month lengths, leap
years); the scheduler's loop and the "is it due" rules both ask it, so the crontab is the one
truth of when."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from apscheduler.triggers.cron import CronTrigger

from shared.clock import SHANGHAI
from shared.settings import Settings

DAILY_CRON = "5 1 * * *"  # the daily sweeps and the outbox prune: 01:05


class Job(StrEnum):
    """A scheduled job: one crontab, one round. `daily` records two ledger kinds
    (`daily_sweeps`, `outbox_prune`); the others record their own name."""

    daily = "daily"
    monthly_dispatch = "monthly_dispatch"
    quarterly_notice = "quarterly_notice"
    reminders = "reminders"
    hotline_sweeps = "hotline_sweeps"


def crontab(settings: Settings, job: Job) -> str:
    match job:
        case Job.daily:
            return DAILY_CRON
        case Job.monthly_dispatch:
            return settings.scheduler_monthly_dispatch_cron
        case Job.quarterly_notice:
            return settings.scheduler_quarterly_notice_cron
        case Job.reminders:
            return settings.scheduler_reminders_cron
        case Job.hotline_sweeps:
            return settings.scheduler_hotline_sweeps_cron


def trigger(crontab: str) -> CronTrigger:
    return CronTrigger.from_crontab(crontab, timezone=SHANGHAI)


def triggers(settings: Settings) -> dict[Job, CronTrigger]:
    return {job: trigger(crontab(settings, job)) for job in Job}


def next_fire(cron: CronTrigger, moment: datetime) -> datetime | None:
    """The first fire time at or after `moment` (None: the crontab never fires again)."""
    fires: datetime | None = cron.get_next_fire_time(None, moment)
    return fires


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def fired_on(cron: CronTrigger, day: date, now: datetime) -> bool:
    """Whether the crontab has fired on `day` (Shanghai) by `now`."""
    fires = next_fire(cron, midnight(day))
    return fires is not None and fires < midnight(day + timedelta(days=1)) and fires <= now


def daily_period(cron: CronTrigger, now: datetime) -> date:
    """The day whose daily run is due by `now`: today once today's fire has passed, else
    yesterday (a start at 00:30 catches up yesterday's run if it was missed; today's waits for
    its fire)."""
    today = now.astimezone(SHANGHAI).date()
    return today if fired_on(cron, today, now) else today - timedelta(days=1)


def latest_fire(cron: CronTrigger, now: datetime, within: timedelta) -> datetime | None:
    """The last fire time at or before `now`, looking back no further than `within` (None: the
    crontab did not fire in that time)."""
    latest = None
    fires = next_fire(cron, now - within)
    while fires is not None and fires <= now:
        latest = fires
        fires = next_fire(cron, fires + timedelta(microseconds=1))
    return latest
