"""Queries for reports and notices: the facts of a period from reform_tasks' own tables, the
stored snapshots, and their delivery to unit inboxes (messages keyed `report:{id}:{unit id}`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, false, func, select, text, update
from sqlalchemy.orm import aliased

from shared.auth import Principal
from shared.models import (
    ExtensionRequest,
    ExtensionStatus,
    Milestone,
    OfficialDocument,
    Programme,
    Publicity,
    Report,
    ReportKind,
    ReportStatus,
    Supervision,
    Task,
    Unit,
    UnitKind,
    UnitMessage,
)
from shared.pagination import PageParams
from shared.repository import RepositoryBase


def delivery_key(report_id: int, unit_id: int) -> str:
    return f"report:{report_id}:{unit_id}"


def delivery_prefix(report_id: int) -> str:
    return f"report:{report_id}:"


# What units read: signed reports, also those a correction superseded (they received them).
ISSUED = (ReportStatus.published, ReportStatus.superseded)


@dataclass(frozen=True, slots=True)
class Signed:
    """A report's signed document as lists show it (the files themselves are not read)."""

    document_number: str | None = None
    publicity: Publicity | None = None
    has_pdf: bool = False
    has_public_edition: bool = False
    superseded_by_id: int | None = None


class ReportRepository(RepositoryBase[Report]):
    model = Report

    def readable_statement(self, principal: Principal) -> Select[Report, str]:
        """Office, viewers and services read every version; units only published ones."""
        statement = select(Report, Programme.code).join(
            Programme, Programme.id == Report.programme_id
        )
        if principal.can_read_unit(None):
            return statement
        if not principal.is_unit:
            return statement.where(false())
        return statement.where(Report.status.in_(ISSUED))

    async def readable_page(
        self,
        principal: Principal,
        page: PageParams,
        *,
        programme_id: int | None,
        kind: ReportKind | None,
        period: str | None,
        status: ReportStatus | None,
    ) -> tuple[Sequence[tuple[Report, str]], int]:
        statement = self.readable_statement(principal)
        if programme_id is not None:
            statement = statement.where(Report.programme_id == programme_id)
        if kind is not None:
            statement = statement.where(Report.kind == kind)
        if period is not None:
            statement = statement.where(Report.period == period)
        if status is not None:
            statement = statement.where(Report.status == status)
        total = int(
            (
                await self.session.execute(
                    select(func.count()).select_from(statement.order_by(None).subquery())
                )
            ).scalar_one()
        )
        rows = (
            await self.session.execute(
                statement.order_by(Report.as_of.desc(), Report.kind, Report.version.desc())
                .limit(page.limit)
                .offset(page.offset)
            )
        ).all()
        return [(r, code) for r, code in rows], total

    async def get_readable(
        self, principal: Principal, report_id: int, *, lock: bool = False
    ) -> tuple[Report, str] | None:
        statement = self.readable_statement(principal).where(Report.id == report_id)
        if lock:
            statement = statement.with_for_update(of=Report)
        row = (await self.session.execute(statement)).one_or_none()
        return (row[0], row[1]) if row else None

    async def lock_period(self, programme_id: int, kind: ReportKind, period: str) -> None:
        """Serialise generation of one (programme, kind, period) until the transaction ends,
        so version numbers never collide and `if_absent` sees a concurrent run's row."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"report:{programme_id}:{kind.value}:{period}"},
        )

    @staticmethod
    def _versions(programme_id: int, kind: ReportKind, period: str) -> Select[Report]:
        """Every version of one (programme, kind, period) report."""
        return select(Report).where(
            Report.programme_id == programme_id, Report.kind == kind, Report.period == period
        )

    async def latest(self, programme_id: int, kind: ReportKind, period: str) -> Report | None:
        statement = self._versions(programme_id, kind, period)
        return await self.session.scalar(statement.order_by(Report.version.desc()).limit(1))

    async def signed(self, report_ids: Sequence[int]) -> dict[int, Signed]:
        """report id → its signed document's number and editions, and the report correcting
        it; a report neither signed nor superseded is absent."""
        if not report_ids:
            return {}
        successor = aliased(Report)
        statement = (
            select(
                Report.id,
                OfficialDocument.document_number,
                OfficialDocument.publicity,
                OfficialDocument.pdf.is_not(None),
                OfficialDocument.public_docx.is_not(None),
                successor.id,
            )
            .outerjoin(OfficialDocument, OfficialDocument.id == Report.document_id)
            .outerjoin(successor, successor.supersedes_id == Report.id)
            .where(
                Report.id.in_(list(report_ids)),
                (Report.document_id.is_not(None)) | (successor.id.is_not(None)),
            )
        )
        return {
            rid: Signed(number, publicity, bool(pdf), bool(public), later)
            for rid, number, publicity, pdf, public, later in (
                await self.session.execute(statement)
            ).all()
        }

    async def signed_version(
        self, programme_id: int, kind: ReportKind, period: str, *, other_than: int
    ) -> Report | None:
        """The period's signed, not yet superseded version (a new sign-off corrects it), locked."""
        statement = self._versions(programme_id, kind, period).where(
            Report.status == ReportStatus.published, Report.id != other_than
        )
        return await self.session.scalar(statement.with_for_update())

    async def delivery_counts(self, report_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """report id → (units delivered to, units that have read it)."""
        if not report_ids:
            return {}
        report_id = func.split_part(UnitMessage.dedupe_key, ":", 2).cast(Integer)
        statement = (
            select(report_id, func.count(), func.count(UnitMessage.read_at))
            .where(
                UnitMessage.kind.in_([k.value for k in ReportKind]),
                report_id.in_(list(report_ids)),
            )
            .group_by(report_id)
        )
        return {
            int(rid): (int(delivered), int(read))
            for rid, delivered, read in (await self.session.execute(statement)).all()
        }

    async def receipts(
        self, report_id: int
    ) -> Sequence[tuple[str, str, datetime, datetime | None]]:
        statement = (
            select(Unit.code, Unit.name, UnitMessage.created_at, UnitMessage.read_at)
            .join(Unit, Unit.id == UnitMessage.unit_id)
            .where(UnitMessage.dedupe_key.startswith(delivery_prefix(report_id), autoescape=True))
            .order_by(Unit.id)
        )
        return [(c, n, d, r) for c, n, d, r in (await self.session.execute(statement)).all()]

    async def mark_read(self, report_id: int, unit_code: str, username: str, at: datetime) -> None:
        unit_id = select(Unit.id).where(Unit.code == unit_code).scalar_subquery()
        await self.session.execute(
            update(UnitMessage)
            .where(
                UnitMessage.unit_id == unit_id,
                UnitMessage.dedupe_key == func.concat(delivery_prefix(report_id), unit_id),
                UnitMessage.read_at.is_(None),
            )
            .values(read_at=at, read_by=username)
        )

    async def active_units(self) -> Sequence[tuple[int, str, str, str, UnitKind]]:
        """Every active unit but the office itself: who a published report goes to."""
        statement = (
            select(Unit.id, Unit.code, Unit.name, Unit.short_name, Unit.kind)
            .where(Unit.is_active.is_(True), Unit.kind != UnitKind.office)
            .order_by(Unit.id)
        )
        return [(i, c, n, s, k) for i, c, n, s, k in (await self.session.execute(statement)).all()]

    async def close_outs(
        self, programme_id: int, start: date, end: date
    ) -> Sequence[tuple[int, str, str, date]]:
        """Tasks the office closed out (销号) within [start, end]."""
        statement = (
            select(Task.number, Task.title, Unit.short_name, Task.closed_out_on)
            .join(Unit, Unit.id == Task.lead_unit_id)
            .where(
                Task.programme_id == programme_id,
                Task.closed_out_on.is_not(None),
                Task.closed_out_on.between(start, end),
            )
            .order_by(Task.number)
        )
        rows = (await self.session.execute(statement)).all()
        return [(n, t, u, d) for n, t, u, d in rows if d is not None]

    async def milestones_completed(self, programme_id: int, start: date, end: date) -> int:
        statement = (
            select(func.count())
            .select_from(Milestone)
            .join(Task, Task.id == Milestone.task_id)
            .where(
                Task.programme_id == programme_id,
                Milestone.completed_on.between(start, end),
            )
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def extensions_granted(
        self, programme_id: int, since: datetime, until: datetime
    ) -> Sequence[tuple[int, int, str, date, date, datetime]]:
        """Approved extensions decided in [since, until): task, milestone, unit, from, to, when."""
        statement = (
            select(
                Task.number,
                Milestone.ordinal,
                Unit.short_name,
                ExtensionRequest.current_date,
                ExtensionRequest.requested_date,
                ExtensionRequest.decided_at,
            )
            .join(Milestone, Milestone.id == ExtensionRequest.milestone_id)
            .join(Task, Task.id == Milestone.task_id)
            .join(Unit, Unit.id == ExtensionRequest.unit_id)
            .where(
                Task.programme_id == programme_id,
                ExtensionRequest.status == ExtensionStatus.approved,
                and_(ExtensionRequest.decided_at >= since, ExtensionRequest.decided_at < until),
            )
            .order_by(ExtensionRequest.decided_at, ExtensionRequest.id)
        )
        rows: list[Any] = list((await self.session.execute(statement)).all())
        return [(t, m, u, f, to, at) for t, m, u, f, to, at in rows]

    async def supervisions_issued(
        self, programme_id: int, start: date, end: date
    ) -> Sequence[tuple[Supervision, str, str]]:
        """Supervisions issued within [start, end] (every level), with the unit's short name and
        code, oldest first."""
        statement = (
            select(Supervision, Unit.short_name, Unit.code)
            .join(Unit, Unit.id == Supervision.unit_id)
            .where(
                Supervision.programme_id == programme_id,
                Supervision.issued_on.between(start, end),
            )
            .order_by(Supervision.issued_on, Supervision.id)
        )
        return [(s, n, c) for s, n, c in (await self.session.execute(statement)).all()]
