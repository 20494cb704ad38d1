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
from sqlalchemy.orm import aliased

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
from services.reform_tasks.task.repository import TaskRepository, involves_unit
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
    Unit,
    task_responsible_units,
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
    """Five plain queries (no ORM objects: a city-size map is ~10k rows) and the status rules."""
    scoped = TaskRepository(session).readable_statement(principal, programme.id)
    if domain:
        scoped = scoped.where(Task.domain_id.in_(select(Domain.id).where(Domain.code == domain)))
    if unit:
        scoped = scoped.where(involves_unit(unit))
    if task_class:
        scoped = scoped.where(Task.task_class == task_class)
    task_ids = scoped.with_only_columns(Task.id).scalar_subquery()
    lead = aliased(Unit)
    task_rows = (
        await session.execute(
            select(
                Task.id,
                Task.number,
                Task.title,
                Task.task_class,
                Task.deadline,
                Domain.code,
                Domain.name,
                lead.code,
                lead.short_name,
            )
            .join(Domain, Domain.id == Task.domain_id)
            .join(lead, lead.id == Task.lead_unit_id)
            .where(Task.id.in_(task_ids))
            .order_by(Task.number)
        )
    ).all()
    responsible: dict[int, list[UnitBrief]] = defaultdict(list)
    for task_id, code, short_name in (
        await session.execute(
            select(task_responsible_units.c.task_id, Unit.code, Unit.short_name)
            .join(Unit, Unit.id == task_responsible_units.c.unit_id)
            .where(task_responsible_units.c.task_id.in_(task_ids))
            .order_by(Unit.code)
        )
    ).all():
        responsible[task_id].append(UnitBrief.model_construct(code=code, short_name=short_name))
    milestones: dict[int, list[tuple[int, int, str, date, date, date | None]]] = defaultdict(list)
    for row in (
        await session.execute(
            select(
                Milestone.task_id,
                Milestone.id,
                Milestone.ordinal,
                Milestone.title,
                Milestone.baseline_date,
                Milestone.completed_on,
            )
            .where(Milestone.task_id.in_(task_ids))
            .order_by(Milestone.task_id, Milestone.ordinal)
        )
    ).all():
        milestones[row[0]].append((row[1], row[2], row[3], row[4], row[4], row[5]))
    milestone_ids = select(Milestone.id).where(Milestone.task_id.in_(task_ids)).scalar_subquery()
    cutoff = end_of_day(as_of)
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
    moved: dict[int, list[date]] = defaultdict(list)
    for milestone_id, requested in (
        await session.execute(
            select(ExtensionRequest.milestone_id, ExtensionRequest.requested_date)
            .where(
                ExtensionRequest.milestone_id.in_(milestone_ids),
                ExtensionRequest.status == ExtensionStatus.approved,
                ExtensionRequest.decided_at < cutoff,
            )
            .order_by(ExtensionRequest.decided_at)
        )
    ).all():
        moved[milestone_id].append(requested)  # in decision order: the last one is in force
    thresholds = Thresholds.of(programme.settings)
    by_domain: dict[str, Counter[str]] = defaultdict(Counter)
    by_unit: dict[str, Counter[str]] = defaultdict(Counter)
    domain_names: dict[str, str] = {}
    unit_names: dict[str, str] = {}
    totals: Counter[str] = Counter()
    items: list[MapTask] = []
    for task_id, number, title, klass, deadline, d_code, d_name, l_code, l_short in task_rows:
        rows = [
            _milestone(m, as_of, reported, moved, thresholds) for m in milestones.get(task_id, [])
        ]
        for item in rows:
            by_domain[d_code][item.status] += 1
            by_unit[l_code][item.status] += 1
            totals[item.status] += 1
        domain_names[d_code], unit_names[l_code] = d_name, l_short
        items.append(
            MapTask.model_construct(
                number=number,
                title=title,
                domain=d_code,
                domain_name=d_name,
                task_class=klass,
                lead_unit=UnitBrief.model_construct(code=l_code, short_name=l_short),
                responsible_units=responsible.get(task_id, []),
                deadline=deadline,
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
    row: tuple[int, int, str, date, date, date | None],
    as_of: date,
    reported: set[int],
    moved: dict[int, list[date]],
    thresholds: Thresholds,
) -> MapMilestone:
    milestone_id, ordinal, title, baseline, _, completed_on = row
    planned = (moved.get(milestone_id) or [baseline])[-1]
    completed = completed_on if completed_on is not None and completed_on <= as_of else None
    status = milestone_status(
        planned=planned,
        completed_on=completed,
        as_of=as_of,
        reported=milestone_id in reported,
        thresholds=thresholds,
    )
    return MapMilestone.model_construct(
        ordinal=ordinal,
        title=title,
        month=planned.strftime("%Y-%m"),
        planned_date=planned,
        baseline_date=baseline,
        completed_on=completed,
        slip_days=(planned - baseline).days,
        status=status,
        status_label=STATUS_LABELS[status],
    )
