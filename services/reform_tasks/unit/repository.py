from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, any_, delete, func, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload

from shared.models.hotline import WorkOrder
from shared.models.platform import Unit, UnitKind, UnitReorganisation, User
from shared.models.tasks import (
    ExtensionRequest,
    ExtensionStatus,
    Milestone,
    Problem,
    ProblemStatus,
    Programme,
    ProgressReport,
    ReviewStatus,
    Supervision,
    SupervisionStatus,
    Task,
    TaskStatus,
    task_responsible_units,
)
from shared.repository import RepositoryBase

# Advisory-lock key of the unit directory (its writes run one at a time, see `lock_directory`).
UNIT_DIRECTORY_LOCK = 20_260_021


class UnitRepository(RepositoryBase[Unit]):
    model = Unit

    async def lock_directory(self) -> None:
        """Transaction-scoped advisory lock held until the caller's transaction ends: every
        create and update of a unit takes it before reading the names it checks against, so
        two writes that would collide run one after the other, and the second (READ COMMITTED:
        each statement sees what was committed before it started) sees the first's names.
        Readers (lists, the importer) do not take it."""
        await self.session.execute(select(func.pg_advisory_xact_lock(UNIT_DIRECTORY_LOCK)))

    async def active_units(self, *, except_id: int | None = None) -> Sequence[Unit]:
        """Every active unit but `except_id` (the names a unit's names must not repeat)."""
        stmt = select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.code)
        if except_id is not None:
            stmt = stmt.where(Unit.id != except_id)
        return await self.list(stmt)

    def list_statement(self, *, kind: UnitKind | None, q: str | None) -> Select[Unit]:
        stmt = (
            select(Unit)
            .options(joinedload(Unit.parent), joinedload(Unit.merged_into))
            .order_by(Unit.kind, Unit.code)
        )
        if kind is not None:
            stmt = stmt.where(Unit.kind == kind)
        if q:
            pattern = f"%{q}%"
            stmt = stmt.where(
                or_(
                    Unit.name.ilike(pattern),
                    Unit.short_name.ilike(pattern),
                    Unit.code.ilike(pattern),
                    literal(q) == any_(Unit.aliases),
                )
            )
        return stmt

    async def get_by_code(self, code: str, *, populate_existing: bool = False) -> Unit | None:
        stmt = (
            select(Unit)
            .options(joinedload(Unit.parent), joinedload(Unit.merged_into))
            .where(Unit.code == code)
        )
        if populate_existing:
            stmt = stmt.execution_options(populate_existing=True)
        return await self.get_one_or_none(stmt)

    async def get_by_name(self, name: str) -> Unit | None:
        return await self.get_one_or_none(select(Unit).where(Unit.name == name))


class ItemType(StrEnum):
    """The kinds of open item a reorganisation moves from one unit to another (issue #21)."""

    task_lead = "task_lead"  # a task not closed out that the unit leads (牵头)
    task_responsible = "task_responsible"  # … that it is responsible for (责任单位)
    progress_report = "progress_report"  # its report waiting for review
    extension = "extension"  # its extension request waiting for a decision
    supervision = "supervision"  # a supervision of it still open, or accountability proposed
    problem = "problem"  # an open problem it is responsible for
    user = "user"  # an account of the unit


@dataclass(frozen=True)
class OpenItem:
    item_type: ItemType
    item_id: int
    label: str


@dataclass
class TaskUnits:
    """A task's number, lead unit and responsible units (ids)."""

    number: int
    lead: int
    responsible: set[int]


OPEN_SUPERVISION = (SupervisionStatus.open, SupervisionStatus.proposed)
CLOSED_ORDER = ("closed", "visited")  # hotline.work_orders.status of an order done with


class ReorganisationRepository(RepositoryBase[UnitReorganisation]):
    """The open items of a unit, and the statements that move them (bulk, by id: a year of a
    unit's history moves in a few statements). Closed items are never selected, nor anything
    of a closed programme (its record is read-only, migration 0028r)."""

    model = UnitReorganisation

    async def open_items(self, unit_id: int) -> list[OpenItem]:
        items: list[OpenItem] = []
        for statement, item_type, label in (
            (self._tasks_led(unit_id), ItemType.task_lead, "{}年任务{}：{}"),
            (self._tasks_responsible(unit_id), ItemType.task_responsible, "{}年任务{}：{}"),
            (self._reports(unit_id), ItemType.progress_report, "{}年任务{}第{}个节点的进展报送"),
            (self._extensions(unit_id), ItemType.extension, "{}年任务{}第{}个节点的延期申请"),
            (self._supervisions(unit_id), ItemType.supervision, "督办：{}"),
            (self._problems(unit_id), ItemType.problem, "{}年问题{}：{}"),
            (self._users(unit_id), ItemType.user, "账号 {}（{}）"),
        ):
            rows = (await self.session.execute(statement)).all()
            items += [OpenItem(item_type, row[0], label.format(*row[1:])) for row in rows]
        return items

    @staticmethod
    def _tasks_led(unit_id: int) -> Select[int, str, int, str]:
        return (
            select(Task.id, Programme.code, Task.number, Task.title)
            .join(Programme, Programme.id == Task.programme_id)
            .where(
                Task.lead_unit_id == unit_id,
                Task.status != TaskStatus.closed_out,
                Programme.closed_at.is_(None),
            )
            .order_by(Programme.code, Task.number)
        )

    @staticmethod
    def _tasks_responsible(unit_id: int) -> Select[int, str, int, str]:
        return (
            select(Task.id, Programme.code, Task.number, Task.title)
            .join(Programme, Programme.id == Task.programme_id)
            .join(task_responsible_units, task_responsible_units.c.task_id == Task.id)
            .where(
                task_responsible_units.c.unit_id == unit_id,
                Task.status != TaskStatus.closed_out,
                Programme.closed_at.is_(None),
            )
            .order_by(Programme.code, Task.number)
        )

    @staticmethod
    def _reports(unit_id: int) -> Select[int, str, int, int]:
        return (
            select(ProgressReport.id, Programme.code, Task.number, Milestone.ordinal)
            .join(Milestone, Milestone.id == ProgressReport.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .join(Programme, Programme.id == Task.programme_id)
            .where(
                ProgressReport.unit_id == unit_id,
                ProgressReport.review_status == ReviewStatus.pending,
                Programme.closed_at.is_(None),
            )
            .order_by(ProgressReport.id)
        )

    @staticmethod
    def _extensions(unit_id: int) -> Select[int, str, int, int]:
        return (
            select(ExtensionRequest.id, Programme.code, Task.number, Milestone.ordinal)
            .join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .join(Programme, Programme.id == Task.programme_id)
            .where(
                ExtensionRequest.unit_id == unit_id,
                ExtensionRequest.status == ExtensionStatus.pending,
                Programme.closed_at.is_(None),
            )
            .order_by(ExtensionRequest.id)
        )

    @staticmethod
    def _supervisions(unit_id: int) -> Select[int, str]:
        return (
            select(Supervision.id, Supervision.reason)
            .join(Programme, Programme.id == Supervision.programme_id)
            .where(
                Supervision.unit_id == unit_id,
                Supervision.status.in_(OPEN_SUPERVISION),
                Programme.closed_at.is_(None),
            )
            .order_by(Supervision.id)
        )

    @staticmethod
    def _problems(unit_id: int) -> Select[int, str, int, str]:
        return (
            select(Problem.id, Programme.code, Problem.number, Problem.problem)
            .join(Programme, Programme.id == Problem.programme_id)
            .where(
                Problem.responsible_unit_id == unit_id,
                Problem.status == ProblemStatus.open,
                Programme.closed_at.is_(None),
            )
            .order_by(Programme.code, Problem.number)
        )

    @staticmethod
    def _users(unit_id: int) -> Select[int, str, str]:
        return (
            select(User.id, User.username, User.display_name)
            .where(User.unit_id == unit_id)
            .order_by(User.username)
        )

    async def open_orders(self, unit_code: str) -> int:
        """The 12345 orders the unit handles that are not closed (read for the preview only;
        the hotline moves them itself, `follow_unit_merge`)."""
        statement = select(func.count()).where(
            WorkOrder.handling_unit_code == unit_code, WorkOrder.status.not_in(CLOSED_ORDER)
        )
        return int(await self.session.scalar(statement) or 0)

    async def task_units(self, task_ids: Sequence[int]) -> dict[int, TaskUnits]:
        """Each task's lead and responsible units, to check a reorganisation's outcome."""
        rows = await self.session.execute(
            select(Task.id, Task.number, Task.lead_unit_id, task_responsible_units.c.unit_id)
            .outerjoin(task_responsible_units, task_responsible_units.c.task_id == Task.id)
            .where(Task.id.in_(task_ids))
        )
        found: dict[int, TaskUnits] = {}
        for task_id, number, lead, responsible in rows.all():
            entry = found.setdefault(task_id, TaskUnits(number, lead, set()))
            if responsible is not None:
                entry.responsible.add(responsible)
        return found

    # --- moves: each takes the ids of open items of `from_id` and the unit that takes them ----

    async def move_task_leads(self, task_ids: Sequence[int], to_id: int) -> None:
        await self.session.execute(
            update(Task)
            .where(Task.id.in_(task_ids))
            .values(lead_unit_id=to_id, version=Task.version + 1)
            .execution_options(synchronize_session=False)
        )
        await self._lead_is_not_responsible(task_ids)

    async def move_responsibilities(
        self, task_ids: Sequence[int], from_id: int, to_id: int
    ) -> None:
        """`to_id` replaces `from_id` among the tasks' responsible units (once, and not where it
        leads the task: a lead unit is never also responsible, as the importer reads it)."""
        rows = task_responsible_units.c
        await self.session.execute(
            delete(task_responsible_units).where(
                rows.task_id.in_(task_ids), rows.unit_id == from_id
            )
        )
        await self.session.execute(
            insert(task_responsible_units)
            .from_select(
                ["task_id", "unit_id"],
                select(Task.id, literal(to_id)).where(
                    Task.id.in_(task_ids), Task.lead_unit_id != to_id
                ),
            )
            .on_conflict_do_nothing()
        )
        await self.session.execute(
            update(Task)
            .where(Task.id.in_(task_ids))
            .values(version=Task.version + 1)
            .execution_options(synchronize_session=False)
        )

    async def _lead_is_not_responsible(self, task_ids: Sequence[int]) -> None:
        rows = task_responsible_units.c
        await self.session.execute(
            delete(task_responsible_units).where(
                rows.task_id.in_(task_ids),
                rows.unit_id
                == select(Task.lead_unit_id).where(Task.id == rows.task_id).scalar_subquery(),
            )
        )

    async def move_rows(self, item_type: ItemType, ids: Sequence[int], to_id: int) -> None:
        """Progress reports, extension requests, supervisions, problems and users; a moved
        user's tokens stop working (their unit changed, shared.auth checks the version)."""
        if item_type is ItemType.progress_report:
            statement = update(ProgressReport).where(ProgressReport.id.in_(ids))
            statement = statement.values(unit_id=to_id)
        elif item_type is ItemType.extension:
            statement = update(ExtensionRequest).where(ExtensionRequest.id.in_(ids))
            statement = statement.values(unit_id=to_id)
        elif item_type is ItemType.supervision:
            statement = update(Supervision).where(Supervision.id.in_(ids)).values(unit_id=to_id)
        elif item_type is ItemType.problem:
            statement = update(Problem).where(Problem.id.in_(ids))
            statement = statement.values(responsible_unit_id=to_id, version=Problem.version + 1)
        elif item_type is ItemType.user:
            statement = update(User).where(User.id.in_(ids))
            statement = statement.values(unit_id=to_id, token_version=User.token_version + 1)
        else:
            raise AssertionError(item_type)
        await self.session.execute(statement.execution_options(synchronize_session=False))

    async def deactivate_users(self, unit_id: int) -> int:
        """A deactivated unit's accounts are disabled and their tokens revoked."""
        result = await self.session.execute(
            update(User)
            .where(User.unit_id == unit_id, User.is_active.is_(True))
            .values(is_active=False, token_version=User.token_version + 1)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def reparent_children(self, from_id: int, to_id: int) -> int:
        result = await self.session.execute(
            update(Unit)
            .where(Unit.parent_id == from_id, Unit.id != to_id)
            .values(parent_id=to_id)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def follow_in_hotline(self, from_code: str, to_code: str, by: str, limits: str) -> int:
        """The hotline's own function (services/hotline_ingest/sql/follow_unit_merge/): its
        code mappings follow the merge and its open orders are derived again; returns the
        orders moved."""
        moved = await self.session.scalar(
            text("SELECT hotline.follow_unit_merge(:f, :t, :by, CAST(:limits AS jsonb))"),
            {"f": from_code, "t": to_code, "by": by, "limits": limits},
        )
        return int(moved or 0)
