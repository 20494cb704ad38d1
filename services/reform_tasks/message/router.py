from __future__ import annotations

from fastapi import APIRouter

from services.reform_tasks.message import service
from services.reform_tasks.message.schemas import MessageOut, UnreadCount
from shared.auth import Authenticated, UnitWrite
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.pagination import Page, Pagination

router = APIRouter(prefix="/api/tasks/v1/messages", tags=["inbox"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[MessageOut], summary="The caller's unit inbox (office: all)")
async def list_messages(
    principal: Authenticated, session: Session, page: Pagination, unread_only: bool = False
) -> Page[MessageOut]:
    return await service.list_messages(session, principal, page, unread_only=unread_only)


@router.get("/unread-count", response_model=UnreadCount, summary="Unread messages")
async def unread_count(principal: Authenticated, session: Session) -> UnreadCount:
    return UnreadCount(unread=await service.unread_count(session, principal))


@router.post("/{message_id}/read", response_model=MessageOut, summary="Mark read (receipt)")
async def mark_read(message_id: int, principal: UnitWrite, session: Session) -> MessageOut:
    return await service.mark_read(session, principal, message_id)
