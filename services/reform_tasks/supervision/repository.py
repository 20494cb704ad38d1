"""Supervision and reply queries. Reads are scoped: the office and viewers see every
supervision, a unit only the ones issued to it (another unit's supervision does not exist for
it). A reply is read through its supervision."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from shared.auth import Principal
from shared.models import (
    Milestone,
    OfficialDocument,
    Problem,
    ProblemStatus,
    Supervision,
    SupervisionLevel,
    SupervisionReply,
    SupervisionReplyFile,
    SupervisionStatus,
    Task,
    Unit,
)
from shared.pagination import PageParams
from shared.repository import RepositoryBase, scoped_to_own_unit


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """What a supervision is about (a milestone of a task, or a problem), and the 文号 of its
    督办单 or 问责建议 (none for a proposal, or one issued before documents were numbered)."""

    task_id: int | None
    task_number: int | None
    milestone_ordinal: int | None
    problem_id: int | None
    problem_number: int | None
    document_number: str | None = None

    @property
    def label(self) -> str:
        if self.task_number is not None:
            return f"任务{self.task_number}第{self.milestone_ordinal}个时间节点"
        return f"问题{self.problem_number}"

    def as_data(self) -> dict[str, int | None]:
        if self.task_number is not None:
            return {"task_number": self.task_number, "milestone_ordinal": self.milestone_ordinal}
        return {"problem_number": self.problem_number}


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    unit_name: str
    task_title: str | None
    milestone_title: str | None
    milestone_planned_on: date | None
    problem: str | None
    parent_number: str | None


class SupervisionRepository(RepositoryBase[Supervision]):
    model = Supervision

    def readable_statement(self, principal: Principal, programme_id: int) -> Select[Supervision]:
        statement = (
            select(Supervision)
            .options(joinedload(Supervision.unit))
            .where(Supervision.programme_id == programme_id)
        )
        return scoped_to_own_unit(statement, principal, Supervision.unit_id)

    async def get_readable(
        self, principal: Principal, programme_id: int, supervision_id: int, *, lock: bool = False
    ) -> Supervision | None:
        statement = self.readable_statement(principal, programme_id).where(
            Supervision.id == supervision_id
        )
        return await self.get_one_or_none(statement, lock=lock)

    async def get_in_programme(
        self, programme_id: int, supervision_id: int, *, lock: bool = False
    ) -> Supervision | None:
        """Any unit's supervision (unscoped): for a reply, whose refusal names the reason."""
        statement = (
            select(Supervision)
            .options(joinedload(Supervision.unit))
            .where(Supervision.programme_id == programme_id, Supervision.id == supervision_id)
        )
        return await self.get_one_or_none(statement, lock=lock)

    async def readable_page(
        self,
        principal: Principal,
        programme_id: int,
        page: PageParams,
        *,
        status: SupervisionStatus | None,
        level: SupervisionLevel | None,
        unit: str | None,
        task: int | None = None,
    ) -> tuple[Sequence[Supervision], int]:
        statement = self.readable_statement(principal, programme_id)
        if task is not None:  # the supervisions of the task's milestones
            statement = statement.where(
                Supervision.milestone_id.in_(
                    select(Milestone.id)
                    .join(Task, Task.id == Milestone.task_id)
                    .where(Task.programme_id == programme_id, Task.number == task)
                )
            )
        if status:
            statement = statement.where(Supervision.status == status)
        if level:
            statement = statement.where(Supervision.level == level)
        if unit:
            statement = statement.where(
                Supervision.unit_id.in_(select(Unit.id).where(Unit.code == unit))
            )
        return await self.paginate(statement.order_by(Supervision.id), page)

    async def subjects(self, supervision_ids: Iterable[int]) -> dict[int, SubjectRef]:
        """The subject of each supervision, in one query."""
        statement = (
            select(
                Supervision.id,
                Task.id,
                Task.number,
                Milestone.ordinal,
                Problem.id,
                Problem.number,
                OfficialDocument.document_number,
            )
            .outerjoin(Milestone, Milestone.id == Supervision.milestone_id)
            .outerjoin(Task, Task.id == Milestone.task_id)
            .outerjoin(Problem, Problem.id == Supervision.problem_id)
            .outerjoin(OfficialDocument, OfficialDocument.id == Supervision.document_id)
            .where(Supervision.id.in_(list(supervision_ids)))
        )
        return {
            row[0]: SubjectRef(*row[1:]) for row in (await self.session.execute(statement)).all()
        }

    async def unnumbered(self, programme_id: int) -> Sequence[Supervision]:
        """Issued supervisions (督办, 二次督办, a held 问责) without a document, oldest first."""
        statement = (
            select(Supervision)
            .where(
                Supervision.programme_id == programme_id,
                Supervision.document_id.is_(None),
                (Supervision.level != SupervisionLevel.accountability)
                | (Supervision.status == SupervisionStatus.held_accountable),
            )
            .order_by(Supervision.issued_on, Supervision.id)
        )
        return (await self.session.execute(statement)).scalars().all()

    async def ancestors(self, supervision_id: int) -> list[Supervision]:
        """The supervisions this one follows (督办, then 二次督办), oldest first."""
        chain: list[Supervision] = []
        current = await self.session.get(Supervision, supervision_id)
        while current is not None and current.parent_id is not None:
            current = await self.session.get(Supervision, current.parent_id)
            if current is not None:
                chain.insert(0, current)
        return chain

    async def document_facts(self, supervision_id: int) -> DocumentFacts:
        """What the supervision's 督办单 or 问责建议 names besides the supervision itself."""
        parent = aliased(Supervision)
        parent_document = aliased(OfficialDocument)
        statement = (
            select(
                Unit.name,
                Task.title,
                Milestone.title,
                Milestone.planned_date,
                Problem.problem,
                parent_document.document_number,
            )
            .select_from(Supervision)
            .join(Unit, Unit.id == Supervision.unit_id)
            .outerjoin(Milestone, Milestone.id == Supervision.milestone_id)
            .outerjoin(Task, Task.id == Milestone.task_id)
            .outerjoin(Problem, Problem.id == Supervision.problem_id)
            .outerjoin(parent, parent.id == Supervision.parent_id)
            .outerjoin(parent_document, parent_document.id == parent.document_id)
            .where(Supervision.id == supervision_id)
        )
        return DocumentFacts(*(await self.session.execute(statement)).one())

    async def open_for(
        self, unit_id: int, *, milestone_id: int | None, problem_id: int | None
    ) -> int | None:
        """The id of the unit's open supervision on this subject, if any."""
        subject = (
            Supervision.milestone_id == milestone_id
            if milestone_id is not None
            else Supervision.problem_id == problem_id
        )
        statement = select(Supervision.id).where(
            Supervision.unit_id == unit_id,
            Supervision.status == SupervisionStatus.open,
            subject,
        )
        return (await self.session.execute(statement.limit(1))).scalar_one_or_none()

    async def due_for_escalation(self, programme_id: int, as_of: date) -> Sequence[Supervision]:
        """Open first and second supervisions past their due date, locked: a concurrent sweep
        waits and then no longer sees them as open."""
        statement = (
            select(Supervision)
            .options(joinedload(Supervision.unit))
            .where(
                Supervision.programme_id == programme_id,
                Supervision.status == SupervisionStatus.open,
                Supervision.level != SupervisionLevel.accountability,
                Supervision.due_on.is_not(None),
                Supervision.due_on < as_of,
            )
            .order_by(Supervision.id)
            .with_for_update(of=Supervision)
        )
        return await self.list(statement)

    async def subject_done(self, supervision: Supervision) -> bool:
        """The milestone is completed, or the problem closed out."""
        if supervision.milestone_id is not None:
            completed = await self.session.scalar(
                select(Milestone.completed_on).where(Milestone.id == supervision.milestone_id)
            )
            return completed is not None
        status = await self.session.scalar(
            select(Problem.status).where(Problem.id == supervision.problem_id)
        )
        return status is ProblemStatus.closed

    async def unit_by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def lock_milestone(self, task_id: int, ordinal: int) -> Milestone | None:
        """The milestone, locked against a concurrent supervision of the same subject (FOR NO
        KEY UPDATE: rows that merely reference it are not blocked)."""
        statement = (
            select(Milestone)
            .where(Milestone.task_id == task_id, Milestone.ordinal == ordinal)
            .with_for_update(key_share=True)
        )
        return await self.session.scalar(statement)

    async def lock_problem(self, programme_id: int, number: int) -> Problem | None:
        statement = (
            select(Problem)
            .where(Problem.programme_id == programme_id, Problem.number == number)
            .with_for_update(key_share=True)
        )
        return await self.session.scalar(statement)


class SupervisionReplyRepository(RepositoryBase[SupervisionReply]):
    model = SupervisionReply

    async def of_supervision(self, supervision_id: int) -> Sequence[SupervisionReply]:
        """The supervision's replies with their files, oldest first."""
        return await self.list(
            select(SupervisionReply)
            .options(selectinload(SupervisionReply.files))
            .where(SupervisionReply.supervision_id == supervision_id)
            .order_by(SupervisionReply.replied_at, SupervisionReply.id)
        )

    async def replied(self, supervision_ids: Iterable[int]) -> set[int]:
        """Which of these supervisions have a reply, in one query."""
        statement = (
            select(SupervisionReply.supervision_id)
            .where(SupervisionReply.supervision_id.in_(list(supervision_ids)))
            .distinct()
        )
        return set((await self.session.scalars(statement)).all())

    async def file_of(
        self, supervision_id: int, file_id: int
    ) -> tuple[SupervisionReplyFile, int] | None:
        """An evidence file of one of the supervision's replies, with the supervision's
        programme (the caller then reads the supervision in its own scope)."""
        row = (
            await self.session.execute(
                select(SupervisionReplyFile, Supervision.programme_id)
                .join(SupervisionReply, SupervisionReply.id == SupervisionReplyFile.reply_id)
                .join(Supervision, Supervision.id == SupervisionReply.supervision_id)
                .where(
                    SupervisionReplyFile.id == file_id,
                    SupervisionReply.supervision_id == supervision_id,
                )
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])
