"""Task queries. Every read goes through `readable_statement`: the office and viewers read the
whole list, a unit reads the tasks it leads or is responsible for."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from shared.auth import Principal
from shared.models import (
    Base,
    Domain,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    Supervision,
    Task,
    TaskClass,
    TaskStatus,
    Unit,
    task_responsible_units,
)
from shared.repository import RepositoryBase
from shared.validation import ascii_number

M = TypeVar("M", bound=Base)

# What a task view needs, loaded in a few queries (relations are lazy="raise").
TASK_DETAIL: tuple[LoaderOption, ...] = (
    selectinload(Task.domain),
    selectinload(Task.lead_unit),
    selectinload(Task.responsible_units),
    selectinload(Task.milestones),
)

# Exactly the expression of the trigram index `ix_tasks_search_trgm` (literal blanks, not bound
# parameters), so `ILIKE '%…%'` on it is answered from the index, also under generic plans.
_BLANK: ColumnElement[str] = literal_column("' '", String)
SEARCH_TEXT = Task.title + _BLANK + Task.goal + _BLANK + Task.measures + _BLANK + Task.benchmark

SORTS: dict[str, tuple[Any, ...]] = {
    "number": (Task.number,),
    "-number": (Task.number.desc(),),
    "deadline": (Task.deadline, Task.number),
    "-deadline": (Task.deadline.desc(), Task.number),
    "updated_at": (Task.updated_at, Task.number),
    "-updated_at": (Task.updated_at.desc(), Task.number),
}

# Serialises writers of one programme's task list (imports) inside their transaction.
_TASK_LIST_LOCK = 0x7A5C


def involves_unit(unit_code: str) -> ColumnElement[bool]:
    """SQL condition: the unit leads the task or is one of its responsible units."""
    unit_id = select(Unit.id).where(Unit.code == unit_code).scalar_subquery()
    return or_(
        Task.lead_unit_id == unit_id,
        exists().where(
            task_responsible_units.c.task_id == Task.id,
            task_responsible_units.c.unit_id == unit_id,
        ),
    )


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(q: str) -> ColumnElement[bool] | None:
    """Every blank-separated term must occur in title/goal/measures/benchmark (case-insensitive,
    any substring: Chinese has no word boundaries); digits alone also match the task number."""
    terms = q.split()
    if not terms:
        return None
    condition: ColumnElement[bool] = and_(*(SEARCH_TEXT.ilike(_like_pattern(t)) for t in terms))
    text = "".join(terms)
    if ascii_number(text) and len(text) <= 9:
        condition = or_(condition, Task.number == int(text))
    return condition


class MilestoneQueries(RepositoryBase[M]):
    """The unit and milestone lookups the workflow modules (progress, extensions) share."""

    async def unit(self, code: str | None) -> Unit | None:
        if code is None:
            return None
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def milestone(
        self, task_id: int, ordinal: int, *, for_update: bool = False
    ) -> Milestone | None:
        """With `for_update`, locked and re-read: the row as it is once the lock is ours, not as
        an earlier query of this request left it in the session."""
        statement = select(Milestone).where(
            Milestone.task_id == task_id, Milestone.ordinal == ordinal
        )
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(statement)

    async def milestone_for_update(self, milestone_id: int) -> Milestone:
        milestone = await self.session.scalar(
            select(Milestone)
            .where(Milestone.id == milestone_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert milestone is not None
        return milestone


class TaskRepository(RepositoryBase[Task]):
    model = Task

    def readable_statement(self, principal: Principal, programme_id: int) -> Select[Task]:
        stmt = select(Task).where(Task.programme_id == programme_id)
        if principal.can_read_unit(None):  # office, viewer, service
            return stmt
        if principal.unit_code is None:
            return stmt.where(false())
        return stmt.where(involves_unit(principal.unit_code))

    def list_statement(
        self,
        principal: Principal,
        programme_id: int,
        *,
        sort: str = "number",
        domain: str | None = None,
        task_class: TaskClass | None = None,
        lead_unit: str | None = None,
        unit: str | None = None,
        status: TaskStatus | None = None,
        q: str | None = None,
        numbers: Collection[int] | None = None,
    ) -> Select[Task]:
        """The readable tasks with their details, filtered and sorted (filters narrow, never
        widen, the scope); `numbers`: only these task numbers (the warning-light filter)."""
        stmt = self.readable_statement(principal, programme_id)
        if domain:
            stmt = stmt.where(
                Task.domain_id.in_(
                    select(Domain.id).where(
                        Domain.programme_id == programme_id, Domain.code == domain
                    )
                )
            )
        if task_class:
            stmt = stmt.where(Task.task_class == task_class)
        if lead_unit:
            stmt = stmt.where(Task.lead_unit_id.in_(select(Unit.id).where(Unit.code == lead_unit)))
        if unit:
            stmt = stmt.where(involves_unit(unit))
        if status:
            stmt = stmt.where(Task.status == status)
        if q and (condition := search_condition(q)) is not None:
            stmt = stmt.where(condition)
        if numbers is not None:
            stmt = stmt.where(Task.number.in_(numbers))
        return stmt.options(*TASK_DETAIL).order_by(*SORTS[sort])

    async def readable_with_detail(self, principal: Principal, programme_id: int) -> Sequence[Task]:
        return await self.list(
            self.readable_statement(principal, programme_id).options(*TASK_DETAIL)
        )

    async def get_readable(
        self,
        principal: Principal,
        programme_id: int,
        number: int,
        options: Sequence[LoaderOption] = TASK_DETAIL,
    ) -> Task | None:
        stmt = self.readable_statement(principal, programme_id).where(Task.number == number)
        return await self.get_one_or_none(stmt.options(*options))

    async def get_by_number(
        self, programme_id: int, number: int, options: Sequence[LoaderOption] = TASK_DETAIL
    ) -> Task | None:
        stmt = select(Task).where(Task.programme_id == programme_id, Task.number == number)
        return await self.get_one_or_none(stmt.options(*options))

    async def exists(self, programme_id: int, number: int) -> bool:
        stmt = select(Task.id).where(Task.programme_id == programme_id, Task.number == number)
        return (await self.session.execute(stmt)).first() is not None

    async def milestone(
        self, task_id: int, ordinal: int, *, for_update: bool = False
    ) -> Milestone | None:
        stmt = select(Milestone).where(Milestone.task_id == task_id, Milestone.ordinal == ordinal)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalars().one_or_none()

    async def all_in_programme(self, programme_id: int) -> Sequence[Task]:
        """Every task of the programme with its details (the import compares against these)."""
        stmt = select(Task).where(Task.programme_id == programme_id).options(*TASK_DETAIL)
        return await self.list(stmt)

    async def lock_task_list(self, programme_id: int) -> None:
        """Transaction-scoped lock: two imports of one programme run one after the other."""
        await self.session.execute(
            select(func.pg_advisory_xact_lock(_TASK_LIST_LOCK, programme_id))
        )

    async def domains(self, programme_id: int) -> Sequence[Domain]:
        stmt = select(Domain).where(Domain.programme_id == programme_id).order_by(Domain.ordinal)
        return (await self.session.execute(stmt)).scalars().all()

    async def domain_by_code(self, programme_id: int, code: str) -> Domain | None:
        stmt = select(Domain).where(Domain.programme_id == programme_id, Domain.code == code)
        return (await self.session.execute(stmt)).scalars().one_or_none()

    async def units(self, *, codes: Iterable[str] | None = None) -> Sequence[Unit]:
        stmt = select(Unit).order_by(Unit.code)
        if codes is not None:
            stmt = stmt.where(Unit.code.in_(list(codes)))
        return (await self.session.execute(stmt)).scalars().all()

    async def set_responsible_units(
        self, task_id: int, unit_ids: Sequence[int], *, replace: bool = False
    ) -> None:
        if replace:
            await self.session.execute(
                delete(task_responsible_units).where(task_responsible_units.c.task_id == task_id)
            )
        await self.add_responsible_units([(task_id, unit_id) for unit_id in unit_ids])

    async def add_responsible_units(self, pairs: Sequence[tuple[int, int]]) -> None:
        """(task id, unit id) pairs, in one statement."""
        if pairs:
            await self.session.execute(
                insert(task_responsible_units),
                [{"task_id": task_id, "unit_id": unit_id} for task_id, unit_id in pairs],
            )

    def add_milestone(self, task_id: int, ordinal: int, title: str, planned: date) -> Milestone:
        """A new milestone: its baseline is the date first planned."""
        milestone = Milestone(
            task_id=task_id,
            ordinal=ordinal,
            title=title,
            planned_date=planned,
            baseline_date=planned,
        )
        self.session.add(milestone)
        return milestone

    async def delete_milestones(self, milestone_ids: Sequence[int]) -> None:
        if milestone_ids:
            await self.session.execute(
                delete(Milestone)
                .where(Milestone.id.in_(list(milestone_ids)))
                .execution_options(synchronize_session=False)
            )

    async def milestones_with_history(self, milestone_ids: Sequence[int]) -> set[int]:
        """Milestones something refers to (progress reports, extension requests, supervisions):
        deleting them would erase that history."""
        if not milestone_ids:
            return set()
        ids = list(milestone_ids)
        referred: set[int] = set()
        for column in (
            ProgressReport.milestone_id,
            ExtensionRequest.milestone_id,
            Supervision.milestone_id,
        ):
            stmt = select(column).where(column.in_(ids)).distinct()
            referred.update(m for m in (await self.session.scalars(stmt)).all() if m is not None)
        return referred
