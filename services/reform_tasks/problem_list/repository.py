"""Filed problem lists. Reads are scoped: the office and viewers see every list, a unit only its
own (another unit's list does not exist for it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from shared.auth import Principal
from shared.models import (
    Problem,
    ProblemList,
    ProblemListItem,
    ProblemListStatus,
    ProblemStatus,
    Unit,
)
from shared.pagination import PageParams
from shared.repository import RepositoryBase, scoped_to_own_unit


class ProblemListRepository(RepositoryBase[ProblemList]):
    model = ProblemList

    def readable_statement(self, principal: Principal, programme_id: int) -> Select[ProblemList]:
        statement = (
            select(ProblemList)
            .options(joinedload(ProblemList.unit), selectinload(ProblemList.items))
            .where(ProblemList.programme_id == programme_id)
        )
        return scoped_to_own_unit(statement, principal, ProblemList.unit_id)

    async def get_readable(
        self, principal: Principal, programme_id: int, list_id: int, *, lock: bool = False
    ) -> ProblemList | None:
        statement = self.readable_statement(principal, programme_id).where(
            ProblemList.id == list_id
        )
        return await self.get_one_or_none(statement, lock=lock)

    async def readable_page(
        self,
        principal: Principal,
        programme_id: int,
        page: PageParams,
        *,
        status: ProblemListStatus | None,
        unit: str | None,
    ) -> tuple[Sequence[ProblemList], int]:
        statement = self.readable_statement(principal, programme_id)
        if status:
            statement = statement.where(ProblemList.status == status)
        if unit:
            statement = statement.where(
                ProblemList.unit_id.in_(select(Unit.id).where(Unit.code == unit))
            )
        return await self.paginate(statement.order_by(ProblemList.id.desc()), page)

    async def returned_to(self, programme_id: int, unit_id: int) -> Sequence[ProblemList]:
        """The unit's lists the office returned, waiting for it to edit and resubmit."""
        return await self.list(
            select(ProblemList)
            .where(
                ProblemList.programme_id == programme_id,
                ProblemList.unit_id == unit_id,
                ProblemList.status == ProblemListStatus.returned,
            )
            .order_by(ProblemList.id)
        )

    async def unit_by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def replace_items(self, problem_list: ProblemList, items: list[ProblemListItem]) -> None:
        """Every line replaced (the old ones deleted first: positions are unique per list)."""
        problem_list.items.clear()
        await self.session.flush()
        problem_list.items.extend(items)
        await self.session.flush()

    async def problem_id(self, programme_id: int, number: int) -> int:
        found = await self.session.scalar(
            select(Problem.id).where(Problem.programme_id == programme_id, Problem.number == number)
        )
        assert found is not None  # just created in this transaction
        return int(found)

    async def problems_of(
        self, problem_ids: Iterable[int | None]
    ) -> dict[int, tuple[int, ProblemStatus]]:
        """problem id → (number, status) of the problems accepted items became."""
        ids = [i for i in problem_ids if i is not None]
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Problem.id, Problem.number, Problem.status).where(Problem.id.in_(ids))
        )
        return {pid: (number, status) for pid, number, status in rows.all()}
