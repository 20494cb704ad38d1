"""The battle-map status of a milestone as of a date (seed 001_643c54550577dac0.txt: each month the
office compares every task's dated milestones on the battle map with actual progress). The
thresholds and the worst-milestone rule are office defaults (docs/RULES.md: "A milestone past its
planned date and not done is lagging (滞后) …", "A task's status is its worst milestone's").

Pure functions, shared by reform_tasks (battle map, lagging sweep, progress, reminders, dispatch
report) and the demo year, which replays the sweep's announcements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from shared.clock import SHANGHAI


class MilestoneStatus(StrEnum):
    not_due = "not_due"  # 未到期: planned date still ahead, nothing reported
    on_track = "on_track"  # 按期推进: planned date ahead (or within the grace days), work reported
    done = "done"  # 按期完成: completed on or before the planned date
    done_late = "done_late"  # 逾期完成: completed after the planned date
    lagging = "lagging"  # 滞后: past the planned date by more than `lagging_after_days`
    seriously_lagging = "seriously_lagging"  # 严重滞后: past it by more than the serious threshold


STATUS_LABELS = {
    MilestoneStatus.not_due: "未到期",
    MilestoneStatus.on_track: "按期推进",
    MilestoneStatus.done: "按期完成",
    MilestoneStatus.done_late: "逾期完成",
    MilestoneStatus.lagging: "滞后",
    MilestoneStatus.seriously_lagging: "严重滞后",
}

# Worst first: a task shows the worst status among its milestones, so a task with one lagging
# milestone is lagging however many others are done.
SEVERITY = (
    MilestoneStatus.seriously_lagging,
    MilestoneStatus.lagging,
    MilestoneStatus.on_track,
    MilestoneStatus.not_due,
    MilestoneStatus.done_late,
    MilestoneStatus.done,
)
_RANK = {status: rank for rank, status in enumerate(SEVERITY)}


@dataclass(frozen=True, slots=True)
class Thresholds:
    lagging_after_days: int = 0
    seriously_lagging_after_days: int = 30

    @classmethod
    def of(cls, settings: dict[str, Any]) -> Thresholds:
        return cls(
            lagging_after_days=int(settings.get("lagging_after_days", 0)),
            seriously_lagging_after_days=int(settings.get("seriously_lagging_after_days", 30)),
        )


def milestone_status(
    *,
    planned: date,
    completed_on: date | None,
    as_of: date,
    reported: bool,
    thresholds: Thresholds,
) -> MilestoneStatus:
    """Status of one milestone as of `as_of`.

    `planned` must be the planned date in force on `as_of` (approved extensions decided later do
    not count); `completed_on` is ignored if it is after `as_of`; `reported` says whether any
    progress was reported on or before `as_of`.
    """
    if completed_on is not None and completed_on <= as_of:
        return MilestoneStatus.done if completed_on <= planned else MilestoneStatus.done_late
    days_late = (as_of - planned).days
    if days_late > thresholds.seriously_lagging_after_days:
        return MilestoneStatus.seriously_lagging
    if days_late > thresholds.lagging_after_days:
        return MilestoneStatus.lagging
    return MilestoneStatus.on_track if reported or days_late > 0 else MilestoneStatus.not_due


def lag_announcements(
    planned: date, until: date, thresholds: Thresholds
) -> list[tuple[date, MilestoneStatus]]:
    """The days a daily sweep announces a milestone not done before `until` lagging, then
    seriously lagging: the first day each threshold is passed, with the status
    `milestone_status` gives that day."""
    found = []
    for after in (thresholds.lagging_after_days, thresholds.seriously_lagging_after_days):
        day = planned + timedelta(days=after + 1)
        if day <= until:
            status = milestone_status(
                planned=planned, completed_on=None, as_of=day, reported=False, thresholds=thresholds
            )
            found.append((day, status))
    return found


def task_status(statuses: Iterable[MilestoneStatus]) -> MilestoneStatus:
    """The worst of a task's milestone statuses (`done` only when every milestone is done on
    time; a task without milestones is `not_due`)."""
    return min(statuses, key=_RANK.__getitem__, default=MilestoneStatus.not_due)


def end_of_day(day: date) -> datetime:
    """The first instant (UTC) after `day` ends in Asia/Shanghai: "on or before `day`" for
    timestamps such as a report's submission or an extension's decision."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Approval:
    """An approved extension: when the office decided it and the planned date it moved from."""

    decided_at: datetime
    moved_from: date


def planned_as_of(planned_now: date, approvals: Sequence[Approval], cutoff: datetime) -> date:
    """The planned date in force before `cutoff` (see `end_of_day`).

    Approved extensions are the milestone's plan history (the baseline moved step by step; the
    baseline itself never moves). If some were approved at or after `cutoff`, the plan in force
    then is the date the first of them moved away from; otherwise it is today's planned date."""
    later = [a for a in approvals if a.decided_at >= cutoff]
    if not later:
        return planned_now
    return min(later, key=lambda a: a.decided_at).moved_from


def completed_as_of(completed_on: date | None, as_of: date) -> date | None:
    """A completion counts on the battle map only from the day it happened."""
    return completed_on if completed_on is not None and completed_on <= as_of else None


def days_late(planned: date, completed_on: date | None, as_of: date) -> int:
    """Days past the planned date: until completion if done by `as_of`, else until `as_of`."""
    end = completed_on if completed_on is not None and completed_on <= as_of else as_of
    return max(0, (end - planned).days)


# Order of announced severities (Milestone.lagging_level): each is told to evaluation once.
LAGGING_RANK = {"none": 0, "lagging": 1, "seriously_lagging": 2}
