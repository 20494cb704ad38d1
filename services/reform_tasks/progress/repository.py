"""Progress-report, evidence and close-out queries (never commits)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, func, select

from services.reform_tasks.task.repository import MilestoneQueries
from shared.models import (
    EvidenceFile,
    Milestone,
    Programme,
    ProgressReport,
    ReviewStatus,
    Task,
    Unit,
)
from shared.pagination import PageParams

# A report with what its view needs: (report, milestone ordinal, task number, reporting unit).
ReportRow = tuple[ProgressReport, int, int, str]


def _reports() -> Select[ProgressReport, int, int, str]:
    return (
        select(ProgressReport, Milestone.ordinal, Task.number, Unit.code)
        .join(Milestone, Milestone.id == ProgressReport.milestone_id)
        .join(Task, Task.id == Milestone.task_id)
        .join(Unit, Unit.id == ProgressReport.unit_id)
    )


class ProgressRepository(MilestoneQueries[ProgressReport]):
    model = ProgressReport

    async def report(self, report_id: int) -> ReportRow:
        row = (
            await self.session.execute(
                _reports()
                .where(ProgressReport.id == report_id)
                .execution_options(populate_existing=True)
            )
        ).one()
        return row[0], row[1], row[2], row[3]

    async def reports_of_milestone(
        self, milestone_id: int, page: PageParams
    ) -> tuple[list[ReportRow], int]:
        where = ProgressReport.milestone_id == milestone_id
        total = await self.session.scalar(
            select(func.count()).select_from(ProgressReport).where(where)
        )
        rows = await self.session.execute(
            _reports()
            .where(where)
            .order_by(ProgressReport.submitted_at, ProgressReport.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows.all()], int(total or 0)

    async def evidence_of(self, report_ids: Sequence[int]) -> dict[int, list[EvidenceFile]]:
        files: dict[int, list[EvidenceFile]] = defaultdict(list)
        if report_ids:
            for file in await self.session.scalars(
                select(EvidenceFile)
                .where(EvidenceFile.report_id.in_(report_ids))
                .order_by(EvidenceFile.id)
            ):
                files[file.report_id].append(file)
        return files

    async def report_for_review(
        self, report_id: int, programme_id: int
    ) -> tuple[ProgressReport, int] | None:
        """The report (locked) and its task number, within the programme."""
        row = (
            await self.session.execute(
                select(ProgressReport, Task.number)
                .join(Milestone, Milestone.id == ProgressReport.milestone_id)
                .join(Task, Task.id == Milestone.task_id)
                .where(ProgressReport.id == report_id, Task.programme_id == programme_id)
                .with_for_update(of=ProgressReport)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    async def has_other_live_report(self, milestone_id: int, report_id: int) -> bool:
        """Another report on the milestone that is pending or accepted (not returned)."""
        found = await self.session.scalar(
            select(ProgressReport.id)
            .where(
                ProgressReport.milestone_id == milestone_id,
                ProgressReport.id != report_id,
                ProgressReport.review_status.in_([ReviewStatus.pending, ReviewStatus.accepted]),
            )
            .limit(1)
        )
        return found is not None

    async def accepted_completion(self, milestone_id: int) -> ProgressReport | None:
        """The most recently accepted report that claims the milestone is done."""
        return await self.session.scalar(
            select(ProgressReport)
            .where(
                ProgressReport.milestone_id == milestone_id,
                ProgressReport.claims_completion,
                ProgressReport.completion_date.is_not(None),
                ProgressReport.review_status == ReviewStatus.accepted,
            )
            .order_by(ProgressReport.reviewed_at.desc(), ProgressReport.id.desc())
            .limit(1)
        )

    async def lock_task(self, task: Task) -> None:
        """Lock the task row and re-read its workflow columns (status, version)."""
        await self.session.refresh(
            task, attribute_names=["status", "closed_out_on", "version"], with_for_update=True
        )

    async def milestones_for_update(self, task_id: int) -> Sequence[Milestone]:
        return (
            await self.session.scalars(
                select(Milestone)
                .where(Milestone.task_id == task_id)
                .order_by(Milestone.ordinal)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).all()

    async def evidence(self, evidence_id: int) -> tuple[EvidenceFile, int, Programme] | None:
        """An evidence file with its task number and programme (for the access check)."""
        row = (
            await self.session.execute(
                select(EvidenceFile, Task.number, Programme)
                .join(ProgressReport, ProgressReport.id == EvidenceFile.report_id)
                .join(Milestone, Milestone.id == ProgressReport.milestone_id)
                .join(Task, Task.id == Milestone.task_id)
                .join(Programme, Programme.id == Task.programme_id)
                .where(EvidenceFile.id == evidence_id)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1], row[2])
