"""Audit rows: who did what to which entity, appended in the same transaction as the change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from asgi_correlation_id import correlation_id
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.context import current_service
from shared.models.platform import AuditLog


def jsonable(value: Any) -> Any:
    """Dates, enums, UUIDs and decimals as JSON-friendly values for JSONB columns."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


async def record(
    session: AsyncSession,
    *,
    actor: Principal | None,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    row = AuditLog(
        request_id=correlation_id.get(),
        service=current_service.get(),
        actor_username=actor.username if actor else None,
        actor_role=actor.role.value if actor else None,
        actor_unit_code=actor.unit_code if actor else None,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
    )
    session.add(row)
    await session.flush()
    return row
