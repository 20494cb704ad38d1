"""Leader-instruction queries. Reads are scoped: the office and viewers see every instruction, a
unit only those assigned to it (another unit's instruction does not exist for it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, false, select
from sqlalchemy.orm import selectinload

from shared.auth import Principal
from shared.models import (
    Instruction,
    InstructionAnswer,
    InstructionAnswerFile,
    InstructionAssignment,
    InstructionStatus,
    InstructionSubject,
    Project,
    Task,
    TypicalCase,
    Unit,
)
from shared.pagination import PageParams
from shared.repository import RepositoryBase

_WITH_UNITS = selectinload(Instruction.assignments).joinedload(InstructionAssignment.unit)


@dataclass(frozen=True, slots=True)
class OpenInstruction:
    """An open instruction a unit has not answered yet (its to-do)."""

    id: int
    leader_name: str
    leader_title: str
    text: str
    due_on: date


class InstructionRepository(RepositoryBase[Instruction]):
    model = Instruction

    def readable_statement(self, principal: Principal, programme_id: int) -> Select[Instruction]:
        statement = (
            select(Instruction).options(_WITH_UNITS).where(Instruction.programme_id == programme_id)
        )
        if principal.can_read_unit(None):
            return statement
        if principal.unit_code is None:
            return statement.where(false())
        assigned = exists().where(
            InstructionAssignment.instruction_id == Instruction.id,
            InstructionAssignment.unit_id
            == select(Unit.id).where(Unit.code == principal.unit_code).scalar_subquery(),
        )
        return statement.where(assigned)

    async def get_readable(
        self, principal: Principal, programme_id: int, instruction_id: int, *, lock: bool = False
    ) -> Instruction | None:
        statement = self.readable_statement(principal, programme_id).where(
            Instruction.id == instruction_id
        )
        return await self.get_one_or_none(statement, lock=lock)

    async def readable_page(
        self,
        principal: Principal,
        programme_id: int,
        page: PageParams,
        *,
        status: InstructionStatus | None,
        unit: str | None,
        overdue_on: date | None,
    ) -> tuple[Sequence[Instruction], int]:
        """`overdue_on`: only the open ones past their deadline on that day with a unit that has
        not answered."""
        statement = self.readable_statement(principal, programme_id)
        if status:
            statement = statement.where(Instruction.status == status)
        if unit:
            statement = statement.where(
                exists().where(
                    InstructionAssignment.instruction_id == Instruction.id,
                    InstructionAssignment.unit_id.in_(select(Unit.id).where(Unit.code == unit)),
                )
            )
        if overdue_on is not None:
            statement = statement.where(
                Instruction.status == InstructionStatus.open,
                Instruction.due_on < overdue_on,
                exists().where(
                    InstructionAssignment.instruction_id == Instruction.id,
                    InstructionAssignment.answered_at.is_(None),
                ),
            )
        ordered = statement.order_by(Instruction.instructed_on.desc(), Instruction.id.desc())
        return await self.paginate(ordered, page)

    async def units_by_code(self, codes: Iterable[str]) -> dict[str, Unit]:
        rows = await self.session.scalars(select(Unit).where(Unit.code.in_(list(codes))))
        return {unit.code: unit for unit in rows}

    async def task_title(self, programme_id: int, number: int) -> str | None:
        return await self.session.scalar(
            select(Task.title).where(Task.programme_id == programme_id, Task.number == number)
        )

    async def project_name(self, programme_id: int, project_id: int) -> str | None:
        return await self.session.scalar(
            select(Project.name).where(
                Project.programme_id == programme_id, Project.id == project_id
            )
        )

    async def case_title(self, programme_id: int, case_id: int) -> str | None:
        return await self.session.scalar(
            select(TypicalCase.title).where(
                TypicalCase.programme_id == programme_id, TypicalCase.id == case_id
            )
        )

    async def subject_labels(
        self, programme_id: int, instructions: Sequence[Instruction]
    ) -> dict[tuple[InstructionSubject, int], str]:
        """The names of the subjects of these instructions, in two queries."""
        numbers = {i.subject_id for i in instructions if i.subject_type is InstructionSubject.task}
        projects = {
            i.subject_id for i in instructions if i.subject_type is InstructionSubject.project
        }
        cases = {i.subject_id for i in instructions if i.subject_type is InstructionSubject.case}
        labels: dict[tuple[InstructionSubject, int], str] = {}
        if numbers:
            rows = await self.session.execute(
                select(Task.number, Task.title).where(
                    Task.programme_id == programme_id, Task.number.in_(numbers)
                )
            )
            for number, title in rows.all():
                labels[InstructionSubject.task, number] = f"任务{number} {title}"
        if projects:
            rows = await self.session.execute(
                select(Project.id, Project.name).where(Project.id.in_(projects))
            )
            for project_id, name in rows.all():
                labels[InstructionSubject.project, project_id] = f"重点项目 {name}"
        if cases:
            rows = await self.session.execute(
                select(TypicalCase.id, TypicalCase.title).where(TypicalCase.id.in_(cases))
            )
            for case_id, title in rows.all():
                labels[InstructionSubject.case, case_id] = f"典型案例 {title}"
        return labels

    async def answers(self, instruction_id: int) -> Sequence[InstructionAnswer]:
        rows = await self.session.scalars(
            select(InstructionAnswer)
            .options(selectinload(InstructionAnswer.files), selectinload(InstructionAnswer.unit))
            .where(InstructionAnswer.instruction_id == instruction_id)
            .order_by(InstructionAnswer.answered_at, InstructionAnswer.id)
        )
        return rows.all()

    async def answer_file(
        self, instruction_id: int, file_id: int
    ) -> tuple[InstructionAnswerFile, int, str] | None:
        """The file, its instruction's programme and the answering unit's code, if the file
        belongs to that instruction."""
        row = (
            await self.session.execute(
                select(InstructionAnswerFile, Instruction.programme_id, Unit.code)
                .join(InstructionAnswer, InstructionAnswer.id == InstructionAnswerFile.answer_id)
                .join(Instruction, Instruction.id == InstructionAnswer.instruction_id)
                .join(Unit, Unit.id == InstructionAnswer.unit_id)
                .where(
                    InstructionAnswerFile.id == file_id,
                    InstructionAnswer.instruction_id == instruction_id,
                )
            )
        ).first()
        return (row[0], row[1], row[2]) if row else None

    async def open_for_unit(self, programme_id: int, unit_id: int) -> list[OpenInstruction]:
        """The open instructions assigned to the unit that it has not answered yet."""
        rows = await self.session.execute(
            select(
                Instruction.id,
                Instruction.leader_name,
                Instruction.leader_title,
                Instruction.text,
                Instruction.due_on,
            )
            .join(InstructionAssignment, InstructionAssignment.instruction_id == Instruction.id)
            .where(
                Instruction.programme_id == programme_id,
                Instruction.status == InstructionStatus.open,
                InstructionAssignment.unit_id == unit_id,
                InstructionAssignment.answered_at.is_(None),
            )
            .order_by(Instruction.due_on, Instruction.id)
        )
        return [OpenInstruction(*row) for row in rows.all()]
