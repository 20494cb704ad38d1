"""Whether a person's token still stands: its user's token version, and the user and its unit
still active (the one query behind shared.auth's revocation check)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.platform import Unit, User


async def current_token_version(session: AsyncSession, user_id: int) -> int | None:
    """The version a token of this user must carry, or None: no such user, or the user or its
    unit is disabled (every token of theirs is void)."""
    row = (
        await session.execute(
            select(User.token_version, User.is_active, func.coalesce(Unit.is_active, True))
            .outerjoin(Unit, Unit.id == User.unit_id)
            .where(User.id == user_id)
        )
    ).one_or_none()
    if row is None or not row[1] or not row[2]:
        return None
    return int(row[0])
