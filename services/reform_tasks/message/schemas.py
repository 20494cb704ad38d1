from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from shared.models import UnitMessage


class MessageOut(BaseModel):
    id: int
    unit_code: str
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    read_by: str | None

    @classmethod
    def of(cls, message: UnitMessage, unit_code: str) -> MessageOut:
        return cls(
            id=message.id,
            unit_code=unit_code,
            kind=message.kind,
            title=message.title,
            body=message.body,
            link=message.link,
            created_at=message.created_at,
            read_at=message.read_at,
            read_by=message.read_by,
        )


class UnreadCount(BaseModel):
    unread: int
