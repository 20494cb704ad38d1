"""Quarterly work reports. Reads are scoped: the office and viewers see every unit's, a unit
only its own."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select, union
from sqlalchemy.orm import joinedload, selectinload

from shared.auth import Principal
from shared.models import (
    QuarterlySubmission,
    QuarterlySubmissionFile,
    Task,
    Unit,
    task_responsible_units,
)
from shared.pagination import PageParams
from shared.repository import RepositoryBase, scoped_to_own_unit


class SubmissionRepository(RepositoryBase[QuarterlySubmission]):
    model = QuarterlySubmission

    def readable_statement(
        self, principal: Principal, programme_id: int
    ) -> Select[QuarterlySubmission]:
        statement = (
            select(QuarterlySubmission)
            .options(joinedload(QuarterlySubmission.unit), selectinload(QuarterlySubmission.files))
            .where(QuarterlySubmission.programme_id == programme_id)
        )
        return scoped_to_own_unit(statement, principal, QuarterlySubmission.unit_id)

    async def get_readable(
        self, principal: Principal, programme_id: int, submission_id: int
    ) -> QuarterlySubmission | None:
        return await self.get_one_or_none(
            self.readable_statement(principal, programme_id).where(
                QuarterlySubmission.id == submission_id
            )
        )

    async def readable_page(
        self,
        principal: Principal,
        programme_id: int,
        page: PageParams,
        *,
        quarter: str | None,
        unit: str | None,
    ) -> tuple[Sequence[QuarterlySubmission], int]:
        statement = self.readable_statement(principal, programme_id)
        if quarter:
            statement = statement.where(QuarterlySubmission.quarter == quarter)
        if unit:
            statement = statement.where(
                QuarterlySubmission.unit_id.in_(select(Unit.id).where(Unit.code == unit))
            )
        order = (QuarterlySubmission.quarter.desc(), QuarterlySubmission.id)
        return await self.paginate(statement.order_by(*order), page)

    async def existing(self, programme_id: int, unit_id: int, quarter: str) -> int | None:
        found = await self.session.scalar(
            select(QuarterlySubmission.id).where(
                QuarterlySubmission.programme_id == programme_id,
                QuarterlySubmission.unit_id == unit_id,
                QuarterlySubmission.quarter == quarter,
            )
        )
        return int(found) if found is not None else None

    async def unit_by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def expected_units(self, programme_id: int) -> list[Unit]:
        """The units that report quarterly: every active unit leading or responsible for a task
        of the programme, and any unit that has reported (office default), by code."""
        tasks = select(Task.id).where(Task.programme_id == programme_id)
        involved = union(
            select(Task.lead_unit_id).where(Task.programme_id == programme_id),
            select(task_responsible_units.c.unit_id).where(
                task_responsible_units.c.task_id.in_(tasks)
            ),
            select(QuarterlySubmission.unit_id).where(
                QuarterlySubmission.programme_id == programme_id
            ),
        ).subquery()
        statement = (
            select(Unit)
            .where(Unit.id.in_(select(involved.c[0])))
            .where(Unit.is_active.is_(True))
            .order_by(Unit.code)
        )
        return list((await self.session.execute(statement)).scalars().all())

    async def submitted(
        self, programme_id: int, quarters: Sequence[str]
    ) -> dict[tuple[int, str], QuarterlySubmission]:
        """(unit id, quarter) → its report, for the given quarters."""
        rows = await self.session.execute(
            select(QuarterlySubmission).where(
                QuarterlySubmission.programme_id == programme_id,
                QuarterlySubmission.quarter.in_(quarters),
            )
        )
        return {(s.unit_id, s.quarter): s for s in rows.scalars().all()}

    async def file_of(
        self, submission_id: int, file_id: int
    ) -> tuple[QuarterlySubmissionFile, int] | None:
        """A report's file and the report's programme id."""
        row = (
            await self.session.execute(
                select(QuarterlySubmissionFile, QuarterlySubmission.programme_id)
                .join(
                    QuarterlySubmission,
                    QuarterlySubmission.id == QuarterlySubmissionFile.submission_id,
                )
                .where(
                    QuarterlySubmissionFile.id == file_id,
                    QuarterlySubmissionFile.submission_id == submission_id,
                )
            )
        ).one_or_none()
        return (row[0], int(row[1])) if row is not None else None
