"""Appeals (申诉) of dissatisfied visits: the office reads all, a unit its own. Never
commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from shared.auth import Principal
from shared.models import Appeal, AppealFile, WorkOrder
from shared.pagination import PageParams
from shared.repository import RepositoryBase


class AppealRepository(RepositoryBase[Appeal]):
    model = Appeal

    async def page(
        self,
        principal: Principal,
        page: PageParams,
        status: str | None,
        unit: str | None,
        order_no: str | None = None,
    ) -> tuple[Sequence[Appeal], int]:
        """Pending first, then newest first."""
        statement = select(Appeal)
        if not principal.can_read_unit(None):
            statement = statement.where(Appeal.unit_code == (principal.unit_code or ""))
        if status:
            statement = statement.where(Appeal.status == status)
        if unit:
            statement = statement.where(Appeal.unit_code == unit)
        if order_no:
            statement = statement.where(Appeal.order_no == order_no)
        ordered = statement.order_by(
            (Appeal.status != "pending"), Appeal.created_at.desc(), Appeal.id.desc()
        )
        return await self.paginate(ordered, page)

    async def readable(
        self, principal: Principal, appeal_id: int, *, lock: bool = False
    ) -> Appeal | None:
        appeal = await self.session.get(
            Appeal, appeal_id, populate_existing=True, with_for_update=lock
        )
        if appeal is None or not principal.can_read_unit(appeal.unit_code):
            return None
        return appeal

    async def for_visit(self, order: WorkOrder) -> Appeal | None:
        return await self.session.scalar(
            select(Appeal).where(
                Appeal.order_no == order.order_no, Appeal.visited_at == order.visited_at
            )
        )

    async def order(self, order_no: str, *, lock: bool = False) -> WorkOrder | None:
        statement = select(WorkOrder).where(WorkOrder.order_no == order_no)
        if lock:
            statement = statement.with_for_update()
        return await self.session.scalar(statement.execution_options(populate_existing=True))

    async def files_of(self, appeal_ids: Sequence[int]) -> dict[int, list[AppealFile]]:
        """Each appeal's evidence files, in the order they were attached."""
        found: dict[int, list[AppealFile]] = {appeal_id: [] for appeal_id in appeal_ids}
        if appeal_ids:
            rows = await self.session.scalars(
                select(AppealFile)
                .where(AppealFile.appeal_id.in_(appeal_ids))
                .order_by(AppealFile.appeal_id, AppealFile.id)
            )
            for row in rows:
                found[row.appeal_id].append(row)
        return found

    async def file(self, appeal_id: int, file_id: int) -> AppealFile | None:
        return await self.session.scalar(
            select(AppealFile).where(AppealFile.id == file_id, AppealFile.appeal_id == appeal_id)
        )

    async def add_files(self, files: Sequence[AppealFile]) -> None:
        self.session.add_all(files)
        await self.session.flush()
