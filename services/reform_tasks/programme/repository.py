from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from shared.models import Domain, Programme, Report, ReportKind, ReportStatus, Task
from shared.repository import RepositoryBase


class ProgrammeRepository(RepositoryBase[Programme]):
    model = Programme

    async def get_by_code(self, code: str) -> Programme | None:
        return await self.get_one_or_none(select(Programme).where(Programme.code == code))

    async def current(self, today: date) -> Programme | None:
        """The newest programme that has started by `today` (a year created ahead of time is not
        the default before it begins); before any has started, the newest."""
        statement = select(Programme).order_by(
            (Programme.starts_on <= today).desc(), Programme.year.desc(), Programme.id.desc()
        )
        return await self.get_one_or_none(statement.limit(1))

    async def all(self) -> Sequence[Programme]:
        return await self.list(select(Programme).order_by(Programme.year.desc()))

    async def overlapping(self, code: str, year: int) -> Programme | None:
        """A programme with this code or for this year (one programme per year)."""
        statement = select(Programme).where((Programme.code == code) | (Programme.year == year))
        return await self.session.scalar(statement.limit(1))

    async def lock(self, programme_id: int) -> None:
        """Hold the programme's row until the transaction ends: changes to its domains are made
        one at a time (two adds of the same code cannot both pass the check)."""
        statement = select(Programme.id).where(Programme.id == programme_id).with_for_update()
        await self.session.execute(statement)

    async def locked(self, programme_id: int) -> Programme | None:
        """The programme's row as committed now, held until the transaction ends (closing: no
        write of the year is in progress, none starts until this one ends)."""
        statement = (
            select(Programme)
            .where(Programme.id == programme_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return await self.session.scalar(statement)

    async def unsigned_reports(self, programme_id: int) -> Sequence[Report]:
        """The newest version of each report period of the programme, where it is not signed
        (a draft or reviewed): older drafts of a period whose later version was signed are
        history, not work left."""
        newest = (
            select(Report.kind, Report.period, func.max(Report.version).label("version"))
            .where(Report.programme_id == programme_id)
            .group_by(Report.kind, Report.period)
            .subquery()
        )
        statement = (
            select(Report)
            .join(
                newest,
                (newest.c.kind == Report.kind)
                & (newest.c.period == Report.period)
                & (newest.c.version == Report.version),
            )
            .where(
                Report.programme_id == programme_id,
                Report.status.in_([ReportStatus.draft, ReportStatus.reviewed]),
            )
            .order_by(Report.kind, Report.period)
        )
        return (await self.session.execute(statement)).scalars().all()

    async def notice_signed(self, programme_id: int, period: str) -> bool:
        """Whether the period's quarterly notice has a signed version in force."""
        statement = select(Report.id).where(
            Report.programme_id == programme_id,
            Report.kind == ReportKind.quarterly_notice,
            Report.period == period,
            Report.status == ReportStatus.published,
        )
        return await self.session.scalar(statement.limit(1)) is not None

    async def domains(self, programme_id: int) -> Sequence[Domain]:
        stmt = select(Domain).where(Domain.programme_id == programme_id).order_by(Domain.ordinal)
        return (await self.session.execute(stmt)).scalars().all()

    async def unfinished_tasks(self, programme_id: int) -> Sequence[Task]:
        """The programme's tasks not closed out, by number, with their domain, units and
        milestones."""
        statement = (
            select(Task)
            .options(
                selectinload(Task.domain),
                selectinload(Task.responsible_units),
                selectinload(Task.milestones),
            )
            .where(Task.programme_id == programme_id, Task.closed_out_on.is_(None))
            .order_by(Task.number)
        )
        return (await self.session.execute(statement)).scalars().all()

    async def carried_into(self, programme_id: int) -> Programme | None:
        """The programme this one's tasks were carried into, if they were."""
        carried = aliased(Task)
        statement = (
            select(Programme)
            .join(carried, carried.programme_id == Programme.id)
            .join(Task, Task.id == carried.continues_task_id)
            .where(Task.programme_id == programme_id)
            .limit(1)
        )
        return await self.session.scalar(statement)

    async def task_count(self, domain_id: int) -> int:
        statement = select(func.count()).select_from(Task).where(Task.domain_id == domain_id)
        return int((await self.session.execute(statement)).scalar_one())

    async def delete_domain(self, domain: Domain) -> None:
        await self.session.delete(domain)
        await self.session.flush()
