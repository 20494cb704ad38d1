"""The battle map (作战图): every task's milestones by month with their status as of a date
(seed 001_643c54550577dac0.txt: the office reviews progress against the battle map's time nodes
every month). The planned date in force on `as_of` is the baseline moved by the extensions approved
on or before that day, so a past date shows the map as it was then."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.battle_map.schemas import (
    BattleMap,
    MapMilestone,
    MapTask,
    StatusCounts,
    UnitBrief,
)
from services.reform_tasks.battle_map.status import (
    STATUS_LABELS,
    MilestoneStatus,
    Thresholds,
    milestone_status,
)
from services.reform_tasks.task.repository import TASK_DETAIL, TaskRepository, involves_unit
from shared.auth import Principal
from shared.models import (
    Domain,
    ExtensionRequest,
    ExtensionStatus,
    Milestone,
    Programme,
    ProgressReport,
    Task,
    TaskClass,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Worst first: a task shows the worst status among its milestones.
SEVERITY = [
    MilestoneStatus.seriously_lagging,
    MilestoneStatus.lagging,
    MilestoneStatus.on_track,
    MilestoneStatus.not_due,
    MilestoneStatus.done_late,
    MilestoneStatus.done,
]


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)


def task_status(statuses: list[MilestoneStatus]) -> MilestoneStatus:
    return min(statuses, key=SEVERITY.index) if statuses else MilestoneStatus.not_due


async def battle_map(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    as_of: date,
    *,
    domain: str | None = None,
    unit: str | None = None,
    task_class: TaskClass | None = None,
) -> BattleMap:
    statement = TaskRepository(session).readable_statement(principal, programme.id)
    if domain:
        statement = statement.where(
            Task.domain_id.in_(select(Domain.id).where(Domain.code == domain))
        )
    if unit:
        statement = statement.where(involves_unit(unit))
    if task_class:
        statement = statement.where(Task.task_class == task_class)
    tasks = (
        (await session.execute(statement.options(*TASK_DETAIL).order_by(Task.number)))
        .scalars()
        .unique()
        .all()
    )
    milestone_ids = [m.id for t in tasks for m in t.milestones]
    cutoff = end_of_day(as_of)
    reported: set[int] = set()
    moved: dict[int, list[date]] = defaultdict(list)
    if milestone_ids:
        reported = set(
            (
                await session.execute(
                    select(ProgressReport.milestone_id)
                    .where(
                        ProgressReport.milestone_id.in_(milestone_ids),
                        ProgressReport.submitted_at < cutoff,
                    )
                    .group_by(ProgressReport.milestone_id)
                )
            ).scalars()
        )
        extensions = await session.execute(
            select(
                ExtensionRequest.milestone_id,
                ExtensionRequest.decided_at,
                ExtensionRequest.requested_date,
            )
            .where(
                ExtensionRequest.milestone_id.in_(milestone_ids),
                ExtensionRequest.status == ExtensionStatus.approved,
                ExtensionRequest.decided_at < cutoff,
            )
            .order_by(ExtensionRequest.decided_at)
        )
        for milestone_id, _decided_at, requested in extensions.all():
            moved[milestone_id].append(requested)  # in decision order: the last one is in force
    thresholds = Thresholds.of(programme.settings)
    by_domain: dict[str, Counter[str]] = defaultdict(Counter)
    by_unit: dict[str, Counter[str]] = defaultdict(Counter)
    domain_names: dict[str, str] = {}
    unit_names: dict[str, str] = {}
    totals: Counter[str] = Counter()
    items: list[MapTask] = []
    for task in tasks:
        rows = [_milestone(m, as_of, reported, moved, thresholds) for m in task.milestones]
        for row in rows:
            by_domain[task.domain.code][row.status] += 1
            by_unit[task.lead_unit.code][row.status] += 1
            totals[row.status] += 1
        domain_names[task.domain.code] = task.domain.name
        unit_names[task.lead_unit.code] = task.lead_unit.short_name
        items.append(
            MapTask(
                number=task.number,
                title=task.title,
                domain=task.domain.code,
                domain_name=task.domain.name,
                task_class=task.task_class,
                lead_unit=UnitBrief(code=task.lead_unit.code, short_name=task.lead_unit.short_name),
                responsible_units=[
                    UnitBrief(code=u.code, short_name=u.short_name)
                    for u in sorted(task.responsible_units, key=lambda u: u.code)
                ],
                deadline=task.deadline,
                task_status=task_status([r.status for r in rows]),
                milestones=rows,
            )
        )
    return BattleMap(
        programme=programme.code,
        as_of=as_of,
        months=[f"{programme.year}-{m:02d}" for m in range(1, 13)],
        thresholds={
            "lagging_after_days": thresholds.lagging_after_days,
            "seriously_lagging_after_days": thresholds.seriously_lagging_after_days,
        },
        tasks=items,
        by_domain=[
            StatusCounts(key=k, name=domain_names[k], counts=dict(v))
            for k, v in sorted(by_domain.items())
        ],
        by_unit=[
            StatusCounts(key=k, name=unit_names[k], counts=dict(v))
            for k, v in sorted(by_unit.items())
        ],
        totals=dict(totals),
    )


def _milestone(
    milestone: Milestone,
    as_of: date,
    reported: set[int],
    moved: dict[int, list[date]],
    thresholds: Thresholds,
) -> MapMilestone:
    planned = (moved.get(milestone.id) or [milestone.baseline_date])[-1]
    completed = (
        milestone.completed_on
        if (milestone.completed_on is not None and milestone.completed_on <= as_of)
        else None
    )
    status = milestone_status(
        planned=planned,
        completed_on=completed,
        as_of=as_of,
        reported=milestone.id in reported,
        thresholds=thresholds,
    )
    return MapMilestone(
        ordinal=milestone.ordinal,
        title=milestone.title,
        month=planned.strftime("%Y-%m"),
        planned_date=planned,
        baseline_date=milestone.baseline_date,
        completed_on=completed,
        slip_days=(planned - milestone.baseline_date).days,
        status=status,
        status_label=STATUS_LABELS[status],
    )
