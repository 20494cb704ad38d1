"""Demo data for the 2026 programme of 云岭市, written from the seed documents.

Sources (../shared/seeds): 001_643c54550577dac0.txt gives the shape — a task list of 210 tasks in 14
domains, classes A/B/C, a lead unit and responsible units per task, 49 units, a battle map of dated
milestones; 002_c95ffdd180ea7e81.txt and 003_fe0a5556b3029276.txt the problem lists (002 the
supervision ladder too); 004_1871f105e1d7927d.txt the hotline. The texts under `data/` are the
project's own Chinese, drawn from those documents.

Loading is idempotent: everything is keyed by its natural key (unit code, username, programme
code, task number, milestone ordinal), and simulated progress is only written for milestones this
run created.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import outbox, working_days
from shared.auth import Principal, hash_password
from shared.clock import SHANGHAI
from shared.context import current_service
from shared.demo.filings import load_filings
from shared.demo.instructions import load_instructions
from shared.demo.problems import load_problems
from shared.demo.projects import load_projects
from shared.demo.tours import load_tours
from shared.events import SupervisionEscalated
from shared.milestone_status import Thresholds, lag_announcements
from shared.models import (
    Domain,
    LaggingLevel,
    Milestone,
    MilestoneState,
    Programme,
    ProgressReport,
    ReviewStatus,
    Role,
    Supervision,
    SupervisionLevel,
    SupervisionStatus,
    Task,
    TaskClass,
    TaskStatus,
    Unit,
    UnitKind,
    User,
    task_responsible_units,
)
from shared.models.tasks import default_programme_settings

PROGRAMME_CODE = "2026"
OFFICE_USERS = (
    ("office", "改革办管理员", Role.office_admin),
    ("staff", "改革办工作人员", Role.office_staff),
    ("leader", "改革办领导", Role.office_leader),
    ("viewer", "市领导（只读）", Role.viewer),
)
HOTLINE_USER = ("hotline", "12345热线平台（接口）", Role.hotline_platform)


def read_json(name: str) -> Any:
    text = resources.files("shared.demo").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


@dataclass
class LoadReport:
    units: int = 0
    users: int = 0
    tasks: int = 0
    milestones: int = 0
    progress_reports: int = 0
    supervisions: int = 0
    problems: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)


async def _upsert_units(session: AsyncSession) -> dict[str, Unit]:
    raw = read_json("units.json")
    rows = [raw["office"], *raw["units"]]
    for row in rows:
        values = {
            "code": row["code"],
            "name": row["name"],
            "short_name": row["short_name"],
            "aliases": row.get("aliases", []),
            "kind": UnitKind(row["kind"]),
        }
        await session.execute(
            insert(Unit)
            .values(**values)
            .on_conflict_do_update(
                index_elements=[Unit.code],
                set_={k: v for k, v in values.items() if k != "code"},
            )
        )
    units = (await session.scalars(select(Unit))).all()
    return {u.code: u for u in units}


async def _ensure_users(
    session: AsyncSession, units: dict[str, Unit], lead_codes: set[str], password: str
) -> int:
    existing = set((await session.scalars(select(User.username))).all())
    office = next(u for u in units.values() if u.kind is UnitKind.office)
    wanted: list[tuple[str, str, Role, int | None]] = [
        (name, display, role, office.id) for name, display, role in OFFICE_USERS
    ]
    wanted.append((HOTLINE_USER[0], HOTLINE_USER[1], HOTLINE_USER[2], None))
    for unit in sorted(units.values(), key=lambda u: u.code):
        if unit.kind is UnitKind.office:
            continue
        role = Role.lead_unit if unit.code in lead_codes else Role.unit
        wanted.append((unit.code, f"{unit.short_name}联络员", role, unit.id))
    created = 0
    password_hash = None
    for username, display, role, unit_id in wanted:
        if username in existing:
            continue
        # One argon2 hash per run keeps a fresh load fast; each user still has its own row.
        password_hash = password_hash or hash_password(password)
        session.add(
            User(
                username=username,
                display_name=display,
                password_hash=password_hash,
                role=role,
                unit_id=unit_id,
            )
        )
        created += 1
    await session.flush()
    return created


async def _ensure_programme(session: AsyncSession) -> Programme:
    programme = await session.scalar(select(Programme).where(Programme.code == PROGRAMME_CODE))
    if programme is None:
        programme = Programme(
            code=PROGRAMME_CODE,
            name="云岭市2026年优化营商环境“一号改革工程”",
            year=2026,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            benchmark_city="深圳市",
            settings=default_programme_settings(),
        )
        session.add(programme)
        await session.flush()
    return programme


async def _ensure_domains(session: AsyncSession, programme: Programme) -> dict[str, Domain]:
    for row in read_json("domains.json"):
        await session.execute(
            insert(Domain)
            .values(
                programme_id=programme.id,
                code=row["code"],
                name=row["name"],
                ordinal=row["ordinal"],
            )
            .on_conflict_do_nothing(index_elements=[Domain.programme_id, Domain.code])
        )
    domains = (
        await session.scalars(select(Domain).where(Domain.programme_id == programme.id))
    ).all()
    return {d.code: d for d in domains}


def _at_shanghai(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


# How a unit keeps its dates (office's demo story, not a rule): most units are reliable, a few
# are slow. Shares of a milestone's outcome: (on time, a little late, in trouble: long late).
PACES = {
    "reliable": (0.87, 0.07, 0.06),
    "average": (0.78, 0.10, 0.12),
    "slow": (0.60, 0.15, 0.25),
}


def unit_pace(code: str) -> str:
    """Deterministic per unit: ~55 % reliable, ~35 % average, ~10 % slow."""
    draw = random.Random(f"pace:{code}").random()
    return "reliable" if draw < 0.55 else "average" if draw < 0.9 else "slow"


@dataclass
class Simulated:
    """One milestone's simulated fate: the report filed (if any) and, if it fell behind, the
    days its lag was announced (lagging, seriously lagging) — dated when they happened."""

    report: ProgressReport | None = None
    lagging_on: list[tuple[date, LaggingLevel]] = field(default_factory=list)


def _lag_days(
    planned: date, until: date, thresholds: Thresholds
) -> list[tuple[date, LaggingLevel]]:
    """The sweep's announcements between the planned date and `until` (completion or as-of)."""
    return [
        (day, LaggingLevel(status.value))
        for day, status in lag_announcements(planned, until, thresholds)
    ]


def _simulate_task(
    rng: random.Random,
    milestones: list[Milestone],
    reporters: list[Unit],
    pace: str,
    as_of: date,
    thresholds: Thresholds,
) -> list[Simulated]:
    """A task's year up to `as_of`, milestone by milestone: on time, a little late, or in
    trouble (long late) as its lead unit's pace makes likely; a milestone is never finished
    before the one before it, so a task that falls behind stays behind until it catches up (no
    node 1 lagging while nodes 2 and 3 are done). What is late and not yet done by `as_of` is
    still lagging — mostly recent, a few seriously."""
    on_time, late, _ = PACES[pace]
    previous: date | None = date.min  # the previous milestone's completion (None: not done)
    result = []
    for milestone in milestones:
        reporter = rng.choice(reporters)
        outcome = Simulated()
        result.append(outcome)
        planned = milestone.planned_date
        roll = rng.random()
        if roll < on_time:
            done = planned - timedelta(days=rng.randint(0, 12))
        elif roll < on_time + late:
            done = planned + timedelta(days=1 + int(rng.expovariate(1 / 10)))
        else:  # in trouble
            done = planned + timedelta(days=rng.randint(30, 300))
        if previous is None or planned > as_of:
            _not_done(rng, milestone, outcome, reporter, as_of, thresholds, previous)
            previous = None
            continue
        done = max(done, previous)
        if done > as_of:
            _not_done(rng, milestone, outcome, reporter, as_of, thresholds, None)
            previous = None
            continue
        outcome.lagging_on = _lag_days(planned, done, thresholds)
        _note_lag(milestone, outcome)
        milestone.completed_on = previous = done
        milestone.state = (
            MilestoneState.closed_out if (as_of - done).days > 14 else MilestoneState.accepted
        )
        outcome.report = _completion(milestone, reporter, done, ReviewStatus.accepted, as_of)
    return result


def _not_done(
    rng: random.Random,
    milestone: Milestone,
    outcome: Simulated,
    reporter: Unit,
    as_of: date,
    thresholds: Thresholds,
    previous: date | None,
) -> None:
    """Not done by `as_of`: a future milestone may be reported early (if its predecessor is
    done); a due one is lagging since it fell behind, perhaps with a report in progress."""
    planned = milestone.planned_date
    if planned > as_of:
        early = previous is not None and planned <= as_of + timedelta(days=10)
        if early and rng.random() < 0.3:
            milestone.state = MilestoneState.reported  # reported early, awaiting review
            done = as_of - timedelta(days=rng.randint(0, 5))
            outcome.report = _completion(milestone, reporter, done, ReviewStatus.pending)
        return
    outcome.lagging_on = _lag_days(planned, as_of, thresholds)
    _note_lag(milestone, outcome)
    if rng.random() < 0.5:
        outcome.report = _in_progress(milestone, reporter, planned, as_of, rng)


def _note_lag(milestone: Milestone, outcome: Simulated) -> None:
    """The severity the sweep last announced (so the live sweep announces nothing twice)."""
    if outcome.lagging_on:
        milestone.lagging_level = outcome.lagging_on[-1][1].value


def _completion(
    milestone: Milestone,
    reporter: Unit,
    done: date,
    status: ReviewStatus,
    as_of: date | None = None,
) -> ProgressReport:
    accepted = status is ReviewStatus.accepted and as_of is not None
    return ProgressReport(
        milestone_id=milestone.id,
        unit_id=reporter.id,
        content=_report_text(milestone),
        claims_completion=True,
        completion_date=done,
        submitted_at=_at_shanghai(done, 10 if accepted else 16),
        review_status=status,
        reviewed_at=_at_shanghai(min(as_of, done), 15) if accepted and as_of else None,
        review_comment="材料齐全，同意提交销号。" if accepted else None,
    )


def _in_progress(
    milestone: Milestone, reporter: Unit, planned: date, as_of: date, rng: random.Random
) -> ProgressReport:
    submitted = min(as_of, planned + timedelta(days=rng.randint(0, 20)))
    return ProgressReport(
        milestone_id=milestone.id,
        unit_id=reporter.id,
        content=f"“{milestone.title}”正在推进，已完成主要工作，剩余事项预计两周内完成。",
        submitted_at=_at_shanghai(submitted, 11),
        review_status=ReviewStatus.returned,
        reviewed_at=_at_shanghai(submitted, 17),
        review_comment="佐证材料不足，请补充相关文件、数据截图后重新报送。",
    )


def _report_text(milestone: Milestone) -> str:
    return f"已完成“{milestone.title}”，相关制度文件、工作台账和数据截图已作为佐证材料上传。"


async def _ensure_tasks(
    session: AsyncSession,
    programme: Programme,
    domains: dict[str, Domain],
    units: dict[str, Unit],
    as_of: date,
    report: LoadReport,
) -> None:
    existing = set(
        (await session.scalars(select(Task.number).where(Task.programme_id == programme.id))).all()
    )
    rng = random.Random(2026)  # deterministic demo
    calendar = await working_days.load(session)
    for row in read_json("tasks.json"):
        # Draw for every task, new or not, so a partial reload simulates the same progress.
        task_rng = random.Random(rng.random())
        if row["number"] in existing:
            continue
        task = Task(
            programme_id=programme.id,
            number=row["number"],
            domain_id=domains[row["domain_code"]].id,
            task_class=TaskClass(row["task_class"]),
            title=row["title"],
            benchmark=row["benchmark"],
            goal=row["goal"],
            measures=row["measures"],
            lead_unit_id=units[row["lead_unit"]].id,
            deadline=date.fromisoformat(row["deadline"]),
            deadline_text=row["deadline_text"],
        )
        session.add(task)
        await session.flush()
        await session.execute(
            insert(task_responsible_units),
            [{"task_id": task.id, "unit_id": units[c].id} for c in row["responsible_units"]],
        )
        milestones = []
        for m in row["milestones"]:
            planned = date.fromisoformat(m["planned_date"])
            milestone = Milestone(
                task_id=task.id,
                ordinal=m["ordinal"],
                title=m["title"],
                planned_date=planned,
                baseline_date=planned,
            )
            session.add(milestone)
            milestones.append(milestone)
        await session.flush()
        reporters = [units[c] for c in row["responsible_units"]] or [units[row["lead_unit"]]]
        thresholds = Thresholds.of(programme.settings)
        fates = _simulate_task(
            task_rng, milestones, reporters, unit_pace(row["lead_unit"]), as_of, thresholds
        )
        for fate in fates:
            if fate.report is not None:
                session.add(fate.report)
                report.progress_reports += 1
        if all(m.state is MilestoneState.closed_out for m in milestones):
            task.status = TaskStatus.closed_out
            task.closed_out_on = max(m.completed_on for m in milestones if m.completed_on)
        await _announce(session, programme, task, list(zip(milestones, fates, strict=True)), row)
        for milestone, fate in zip(milestones, fates, strict=True):
            report.supervisions += await _supervise(
                session, programme, calendar, milestone, fate, units[row["lead_unit"]], as_of
            )
        report.tasks += 1
        report.milestones += len(milestones)
    await session.flush()


FIRST_SUPERVISION_WORKING_DAYS = 10  # the demo office's habit, not a rule
SECOND_SUPERVISION_WORKING_DAYS = 5  # supervision.service's office default


async def _supervise(
    session: AsyncSession,
    programme: Programme,
    calendar: working_days.WorkingCalendar,
    milestone: Milestone,
    fate: Simulated,
    unit: Unit,
    as_of: date,
) -> int:
    """The demo office supervises (督办) every milestone the day it turns seriously lagging, 10
    working days to fix it; not fixed → a second supervision (5 working days); still not →
    accountability proposed for the office to decide (seed 002_c95ffdd180ea7e81.txt: 首次督办 →
    二次督办 → 问责). Each step is dated when it happened and told to evaluation as reform_tasks
    would. Returns how many supervisions were issued."""
    serious = [day for day, level in fate.lagging_on if level is LaggingLevel.seriously_lagging]
    if not serious:
        return 0
    done = milestone.completed_on
    issued, parent, count = serious[0], None, 0
    for level, days in (
        (SupervisionLevel.first, FIRST_SUPERVISION_WORKING_DAYS),
        (SupervisionLevel.second, SECOND_SUPERVISION_WORKING_DAYS),
        (SupervisionLevel.accountability, 0),
    ):
        if issued > as_of:
            break
        due = calendar.add_working_days(issued, days) if days else None
        supervision = Supervision(
            programme_id=programme.id,
            unit_id=unit.id,
            level=level,
            milestone_id=milestone.id,
            parent_id=parent,
            reason=f"第{milestone.ordinal}个时间节点「{milestone.title}」严重滞后，请限期整改",
            issued_on=issued,
            due_on=due,
            issued_by="office",
            status=_supervision_status(level, due, done, as_of),
        )
        if supervision.status is SupervisionStatus.resolved:
            supervision.resolved_on, supervision.resolution = done, "督办事项已完成，督办自动办结"
        session.add(supervision)
        await session.flush()
        count += 1
        if level is not SupervisionLevel.accountability:
            await _tell_supervision(session, programme, supervision, milestone, unit)
        if supervision.status is not SupervisionStatus.escalated or due is None:
            break
        issued, parent = due + timedelta(days=1), supervision.id
    return count


def _supervision_status(
    level: SupervisionLevel, due: date | None, done: date | None, as_of: date
) -> SupervisionStatus:
    if level is SupervisionLevel.accountability:
        return SupervisionStatus.proposed  # the office has not decided yet
    assert due is not None
    if done is not None and done <= due:
        return SupervisionStatus.resolved
    return SupervisionStatus.escalated if due < as_of else SupervisionStatus.open


async def _tell_supervision(
    session: AsyncSession,
    programme: Programme,
    supervision: Supervision,
    milestone: Milestone,
    unit: Unit,
) -> None:
    task_number = await session.scalar(select(Task.number).where(Task.id == milestone.task_id))
    token = current_service.set("reform_tasks")
    try:
        await outbox.enqueue(
            session,
            "supervision.escalated",
            SupervisionEscalated(
                supervision_id=supervision.id,
                parent_id=supervision.parent_id,
                level=supervision.level.value,
                unit=unit.code,
                reason=supervision.reason,
                task_number=task_number,
                milestone=milestone.ordinal,
                problem_number=None,
                issued_on=supervision.issued_on,
                due_on=supervision.due_on,
            ),
            programme=programme.code,
            unit_code=unit.code,
            occurred_at=_at_shanghai(supervision.issued_on, 10),
        )
    finally:
        current_service.reset(token)


async def _announce(
    session: AsyncSession,
    programme: Programme,
    task: Task,
    fates: list[tuple[Milestone, Simulated]],
    row: dict[str, Any],
) -> None:
    """Tell evaluation what the simulated year did, through the outbox like reform_tasks would,
    each event dated when it happened: the sweep's lagging announcements (the day a milestone
    fell behind, and 30 days later seriously), completions the lead unit accepted (on the day
    done), task close-outs. Month-end scores and the monthly reports therefore agree."""
    lead, responsible = row["lead_unit"], row["responsible_units"]
    token = current_service.set("reform_tasks")
    try:
        for m, fate in fates:
            common = {
                "task_number": task.number,
                "milestone": m.ordinal,
                "title": m.title,
                "planned_date": m.planned_date,
                "baseline_date": m.baseline_date,
                "lead_unit": lead,
                "responsible_units": responsible,
            }
            previous = LaggingLevel.none
            for day, severity in fate.lagging_on:
                await outbox.enqueue(
                    session,
                    "milestone.lagging",
                    {
                        **common,
                        "severity": severity.value,
                        "previous_severity": previous.value,
                        "days_late": (day - m.planned_date).days,
                        "as_of": day,
                    },
                    programme=programme.code,
                    unit_code=lead,
                    occurred_at=_at_shanghai(day, 9),
                )
                previous = severity
            if m.completed_on is not None:  # accepted by the lead unit: done (closed out or not)
                late = max(0, (m.completed_on - m.planned_date).days)
                await outbox.enqueue(
                    session,
                    "milestone.completed",
                    {
                        **common,
                        "completed_on": m.completed_on,
                        "on_time": late == 0,
                        "days_late": late,
                    },
                    programme=programme.code,
                    unit_code=lead,
                    occurred_at=_at_shanghai(m.completed_on, 17),
                )
        if task.status is TaskStatus.closed_out and task.closed_out_on is not None:
            await outbox.enqueue(
                session,
                "task.closed_out",
                {
                    "task_number": task.number,
                    "lead_unit": lead,
                    "responsible_units": responsible,
                    "deadline": task.deadline,
                    "closed_out_on": task.closed_out_on,
                    "on_time": task.closed_out_on <= task.deadline,
                },
                programme=programme.code,
                unit_code=lead,
                occurred_at=_at_shanghai(task.closed_out_on, 18),
            )
    finally:
        current_service.reset(token)


async def load(session: AsyncSession, *, password: str, as_of: date | None = None) -> LoadReport:
    report = LoadReport()
    as_of = as_of or datetime.now(SHANGHAI).date()
    units = await _upsert_units(session)
    report.units = len(units)
    lead_codes = {row["lead_unit"] for row in read_json("tasks.json")}
    report.users = await _ensure_users(session, units, lead_codes, password)
    programme = await _ensure_programme(session)
    domains = await _ensure_domains(session, programme)
    await _ensure_tasks(session, programme, domains, units, min(as_of, programme.ends_on), report)
    report.problems = await load_problems(
        session, programme, units, as_of=min(as_of, programme.ends_on)
    )
    await _number_supervisions(session, programme)
    await load_instructions(session, programme, as_of=min(as_of, programme.ends_on))
    await load_filings(session, programme, as_of=min(as_of, programme.ends_on))
    await load_projects(session, programme, units, as_of=min(as_of, programme.ends_on))
    await load_tours(session, programme, as_of=min(as_of, programme.ends_on))
    return report


async def _number_supervisions(session: AsyncSession, programme: Programme) -> None:
    """Each demo supervision gets its 督办单 with a 文号, in the order they were issued, as
    reform_tasks numbers one it issues (issue #20). Imported here: the loader writes reform_tasks'
    history, and this is reform_tasks' own rule."""
    from services.reform_tasks.supervision.service import number_history

    office = Principal(username="office", role=Role.office_admin, unit_code=None)
    await number_history(session, office, programme.id)
