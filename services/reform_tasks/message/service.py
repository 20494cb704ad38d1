"""A unit's inbox: what the office and the scheduler send it, with read receipts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.schemas import MessageOut
from shared.auth import Principal
from shared.errors import NotFound
from shared.models import Unit, UnitMessage
from shared.pagination import Page, PageParams


async def notify(
    session: AsyncSession,
    unit_id: int,
    kind: str,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Deliver a message; with `dedupe_key`, a second delivery of the same key does nothing."""
    await session.execute(
        insert(UnitMessage)
        .values(
            unit_id=unit_id, kind=kind, title=title, body=body, link=link, dedupe_key=dedupe_key
        )
        .on_conflict_do_nothing(index_elements=[UnitMessage.dedupe_key])
    )


def _readable(principal: Principal) -> Select[UnitMessage]:
    stmt = select(UnitMessage)
    if principal.is_office:
        return stmt
    unit_id = select(Unit.id).where(Unit.code == principal.unit_code).scalar_subquery()
    return stmt.where(UnitMessage.unit_id == unit_id)


async def list_messages(
    session: AsyncSession, principal: Principal, page: PageParams, *, unread_only: bool
) -> Page[MessageOut]:
    stmt = _readable(principal)
    if unread_only:
        stmt = stmt.where(UnitMessage.read_at.is_(None))
    total = int(
        (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    )
    rows = (
        await session.execute(
            stmt.add_columns(Unit.code)
            .join(Unit, Unit.id == UnitMessage.unit_id)
            .order_by(UnitMessage.created_at.desc(), UnitMessage.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
    ).all()
    items = [MessageOut.of(message, unit_code) for message, unit_code in rows]
    return Page[MessageOut](items=items, total=total)


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    stmt = _readable(principal).where(UnitMessage.read_at.is_(None))
    return int(
        (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    )


async def mark_read(session: AsyncSession, principal: Principal, message_id: int) -> MessageOut:
    """Only the receiving unit marks its message read (the office reading it is no receipt)."""
    unit_id = select(Unit.id).where(Unit.code == principal.unit_code).scalar_subquery()
    message = (
        await session.execute(
            select(UnitMessage).where(UnitMessage.id == message_id, UnitMessage.unit_id == unit_id)
        )
    ).scalar_one_or_none()
    if message is None:
        raise NotFound("消息不存在")
    if message.read_at is None:
        message.read_at = datetime.now(UTC)
        message.read_by = principal.username
        await session.flush()
    return MessageOut.of(message, principal.unit_code or "")
