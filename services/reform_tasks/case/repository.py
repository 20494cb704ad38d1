"""The typical-case register. Reads are scoped: the office reads every case, a unit the cases
about itself, a viewer only the public ones."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, false, select
from sqlalchemy.orm import joinedload

from shared.auth import Principal
from shared.models import CaseKind, Role, TypicalCase, Unit
from shared.pagination import PageParams
from shared.repository import RepositoryBase


class CaseRepository(RepositoryBase[TypicalCase]):
    model = TypicalCase

    def readable_statement(self, principal: Principal, programme_id: int) -> Select[TypicalCase]:
        statement = (
            select(TypicalCase)
            .options(joinedload(TypicalCase.unit))
            .where(TypicalCase.programme_id == programme_id)
        )
        if principal.is_office or principal.role is Role.service:
            return statement
        if principal.role is Role.viewer:
            return statement.where(TypicalCase.public.is_(True))
        if principal.unit_code is None:
            return statement.where(false())
        own = select(Unit.id).where(Unit.code == principal.unit_code).scalar_subquery()
        return statement.where(TypicalCase.unit_id == own)

    async def get_readable(
        self, principal: Principal, programme_id: int, case_id: int, *, fresh: bool = False
    ) -> TypicalCase | None:
        """`fresh`: read again as stored (after a write in this transaction)."""
        statement = self.readable_statement(principal, programme_id).where(
            TypicalCase.id == case_id
        )
        if fresh:
            statement = statement.execution_options(populate_existing=True)
        return await self.get_one_or_none(statement)

    async def readable_page(
        self,
        principal: Principal,
        programme_id: int,
        page: PageParams,
        *,
        quarter: str | None,
        kind: CaseKind | None,
        public: bool | None,
    ) -> tuple[Sequence[TypicalCase], int]:
        statement = self.readable_statement(principal, programme_id)
        if quarter:
            statement = statement.where(TypicalCase.quarter == quarter)
        if kind:
            statement = statement.where(TypicalCase.kind == kind)
        if public is not None:
            statement = statement.where(TypicalCase.public.is_(public))
        order = (TypicalCase.quarter.desc(), TypicalCase.id.desc())
        return await self.paginate(statement.order_by(*order), page)

    async def of_quarter(self, programme_id: int, quarter: str) -> Sequence[TypicalCase]:
        return await self.list(
            select(TypicalCase)
            .options(joinedload(TypicalCase.unit))
            .where(TypicalCase.programme_id == programme_id, TypicalCase.quarter == quarter)
            .order_by(TypicalCase.kind, TypicalCase.id)
        )

    async def unit_by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))
