"""Demo data for the 2026 programme of 云岭市, written from the seed documents.

Sources (../shared/seeds): 001_643c54550577dac0.txt gives the shape — a task list of 210 tasks in
14 domains, classes A/B/C, one lead unit and responsible units per task, 49 units, a battle map of
dated milestones; 002 and 003 the problem lists; 004 the hotline. The texts under `data/` are the
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
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import outbox
from shared.auth import hash_password
from shared.context import current_service
from shared.models import (
    Domain,
    LaggingLevel,
    Milestone,
    MilestoneState,
    Programme,
    ProgressReport,
    ReviewStatus,
    Role,
    Task,
    TaskClass,
    TaskStatus,
    Unit,
    UnitKind,
    User,
    task_responsible_units,
)
from shared.models.tasks import default_programme_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROGRAMME_CODE = "2026"
OFFICE_USERS = (
    ("office", "改革办管理员", Role.office_admin),
    ("staff", "改革办工作人员", Role.office_staff),
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


def _simulate_progress(
    rng: random.Random, milestone: Milestone, reporter: Unit, as_of: date
) -> ProgressReport | None:
    """A few months of plausible progress up to `as_of`: most milestones done around their date,
    some late, some still lagging."""
    if milestone.planned_date > as_of + timedelta(days=10):
        return None
    roll = rng.random()
    if milestone.planned_date > as_of:
        if roll < 0.3:  # reported early, awaiting review
            done = as_of - timedelta(days=rng.randint(0, 5))
            milestone.state = MilestoneState.reported
            return ProgressReport(
                milestone_id=milestone.id,
                unit_id=reporter.id,
                content=_report_text(milestone),
                claims_completion=True,
                completion_date=done,
                submitted_at=_at_shanghai(done, 16),
                review_status=ReviewStatus.pending,
            )
        return None
    if roll < 0.8:
        done = min(as_of, milestone.planned_date + timedelta(days=rng.randint(-15, 12)))
        milestone.completed_on = done
        milestone.state = (
            MilestoneState.closed_out if (as_of - done).days > 14 else MilestoneState.accepted
        )
        return ProgressReport(
            milestone_id=milestone.id,
            unit_id=reporter.id,
            content=_report_text(milestone),
            claims_completion=True,
            completion_date=done,
            submitted_at=_at_shanghai(done, 10),
            review_status=ReviewStatus.accepted,
            reviewed_at=_at_shanghai(min(as_of, done + timedelta(days=2)), 15),
            review_comment="材料齐全，同意提交销号。",
        )
    if roll < 0.9:
        submitted = min(as_of, milestone.planned_date + timedelta(days=rng.randint(0, 20)))
        return ProgressReport(
            milestone_id=milestone.id,
            unit_id=reporter.id,
            content=f"“{milestone.title}”正在推进，已完成主要工作，剩余事项预计两周内完成。",
            submitted_at=_at_shanghai(submitted, 11),
            review_status=ReviewStatus.returned,
            reviewed_at=_at_shanghai(submitted, 17),
            review_comment="佐证材料不足，请补充相关文件、数据截图后重新报送。",
        )
    return None


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
        for milestone in milestones:
            progress = _simulate_progress(task_rng, milestone, task_rng.choice(reporters), as_of)
            if progress is not None:
                session.add(progress)
                report.progress_reports += 1
        if all(m.state is MilestoneState.closed_out for m in milestones):
            task.status = TaskStatus.closed_out
            task.closed_out_on = max(m.completed_on for m in milestones if m.completed_on)
        await _announce(session, programme, task, milestones, row, as_of)
        report.tasks += 1
        report.milestones += len(milestones)
    await session.flush()


async def _announce(
    session: AsyncSession,
    programme: Programme,
    task: Task,
    milestones: list[Milestone],
    row: dict[str, Any],
    as_of: date,
) -> None:
    """Tell evaluation what the simulated year did, through the outbox like reform_tasks would:
    completions the lead unit accepted (dated when done), task close-outs, and milestones
    lagging as of the demo date."""
    lead, responsible = row["lead_unit"], row["responsible_units"]
    lagging_after = int(programme.settings.get("lagging_after_days", 0))
    serious_after = int(programme.settings.get("seriously_lagging_after_days", 30))
    token = current_service.set("reform_tasks")
    try:
        for m in milestones:
            common = {
                "task_number": task.number,
                "milestone": m.ordinal,
                "title": m.title,
                "planned_date": m.planned_date,
                "baseline_date": m.baseline_date,
                "lead_unit": lead,
                "responsible_units": responsible,
            }
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
            elif m.completed_on is None:
                late = (as_of - m.planned_date).days
                severity = (
                    LaggingLevel.seriously_lagging
                    if late > serious_after
                    else LaggingLevel.lagging
                    if late > lagging_after
                    else None
                )
                if severity is None:
                    continue
                m.lagging_level = severity.value
                await outbox.enqueue(
                    session,
                    "milestone.lagging",
                    {**common, "severity": severity.value, "days_late": late},
                    programme=programme.code,
                    unit_code=lead,
                    occurred_at=_at_shanghai(as_of, 9),
                )
        if task.status is TaskStatus.closed_out and task.closed_out_on is not None:
            await outbox.enqueue(
                session,
                "task.closed_out",
                {
                    "task_number": task.number,
                    "lead_unit": lead,
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
    return report
