"""A unit's inbox: what the office and the scheduler send it, with read receipts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.message.repository import MessageRepository
from services.reform_tasks.message.schemas import MessageOut
from shared.auth import Principal
from shared.errors import NotFound
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
    await MessageRepository(session).deliver(unit_id, kind, title, body, link, dedupe_key)


async def list_messages(
    session: AsyncSession, principal: Principal, page: PageParams, *, unread_only: bool
) -> Page[MessageOut]:
    repo = MessageRepository(session)
    total = await repo.count(principal, unread_only=unread_only)
    rows = await repo.page(principal, page, unread_only=unread_only)
    items = [MessageOut.of(message, unit_code) for message, unit_code in rows]
    return Page[MessageOut](items=items, total=total)


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    return await MessageRepository(session).count(principal, unread_only=True)


async def mark_read(session: AsyncSession, principal: Principal, message_id: int) -> MessageOut:
    """Only the receiving unit marks its message read (the office reading it is no receipt)."""
    message = await MessageRepository(session).own(principal, message_id)
    if message is None:
        raise NotFound("消息不存在")
    if message.read_at is None:
        message.read_at = datetime.now(UTC)
        message.read_by = principal.username
        await session.flush()
    return MessageOut.of(message, principal.unit_code or "")
