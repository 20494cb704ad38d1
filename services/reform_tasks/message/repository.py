"""Queries of the unit inbox (tasks.unit_messages)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert

from shared.auth import Principal
from shared.models import Unit, UnitMessage
from shared.pagination import PageParams
from shared.repository import RepositoryBase


class MessageRepository(RepositoryBase[UnitMessage]):
    model = UnitMessage

    async def deliver(
        self,
        unit_id: int,
        kind: str,
        title: str,
        body: str,
        link: str | None,
        dedupe_key: str | None,
    ) -> None:
        """A second delivery with the same `dedupe_key` does nothing."""
        await self.session.execute(
            insert(UnitMessage)
            .values(
                unit_id=unit_id, kind=kind, title=title, body=body, link=link, dedupe_key=dedupe_key
            )
            .on_conflict_do_nothing(index_elements=[UnitMessage.dedupe_key])
        )

    @staticmethod
    def _readable(principal: Principal, *, unread_only: bool) -> Select[UnitMessage]:
        """The office reads every unit's messages; a unit its own."""
        stmt = select(UnitMessage)
        if not principal.is_office:
            unit_id = select(Unit.id).where(Unit.code == principal.unit_code).scalar_subquery()
            stmt = stmt.where(UnitMessage.unit_id == unit_id)
        return stmt.where(UnitMessage.read_at.is_(None)) if unread_only else stmt

    async def count(self, principal: Principal, *, unread_only: bool) -> int:
        stmt = self._readable(principal, unread_only=unread_only)
        total = await self.session.execute(select(func.count()).select_from(stmt.subquery()))
        return int(total.scalar_one())

    async def page(
        self, principal: Principal, page: PageParams, *, unread_only: bool
    ) -> Sequence[tuple[UnitMessage, str]]:
        """Newest first, each with its unit's code."""
        rows = await self.session.execute(
            self._readable(principal, unread_only=unread_only)
            .add_columns(Unit.code)
            .join(Unit, Unit.id == UnitMessage.unit_id)
            .order_by(UnitMessage.created_at.desc(), UnitMessage.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [(message, code) for message, code in rows.all()]

    async def own(self, principal: Principal, message_id: int) -> UnitMessage | None:
        """A message of the principal's own unit (the office reading one is no receipt)."""
        unit_id = select(Unit.id).where(Unit.code == principal.unit_code).scalar_subquery()
        return await self.session.scalar(
            select(UnitMessage).where(UnitMessage.id == message_id, UnitMessage.unit_id == unit_id)
        )
