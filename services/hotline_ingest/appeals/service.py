"""不满意复核 and 申诉 (issue #26). The handling unit may appeal its own order's dissatisfied
visit, with its account of the evidence and the evidence files (shared/evidence: the same
types, size and scan as any evidence, at most HOTLINE_APPEAL_MAX_FILES), within
`HOTLINE_APPEAL_DAYS` working days after the visit (office default 5); one appeal per visit.
The office decides: upheld (the rating stands) or overturned
— recorded as the order's `work_order.visit_overturned` event (source office), so the visit
leaves the satisfaction rate in the live table and, told to evaluation, in its counters, with the
reason in the score's explain. Every step is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest import office_events
from services.hotline_ingest.appeals.repository import AppealRepository
from services.hotline_ingest.calendar import service as calendar
from shared import audit
from shared.auth import Principal
from shared.clock import now_utc
from shared.errors import Conflict, Forbidden, NotFound
from shared.evidence.uploads import check_uploads, keep_files, stored_path
from shared.models import Appeal, AppealFile, WorkOrder
from shared.pagination import PageParams
from shared.settings import Settings


async def appeals(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    status: str | None,
    unit: str | None,
    order_no: str | None = None,
) -> tuple[Sequence[Appeal], int]:
    return await AppealRepository(session).page(principal, page, status, unit, order_no)


async def deadline(session: AsyncSession, settings: Settings, visited_at: datetime) -> datetime:
    """The end of the appeal window: the HOTLINE_APPEAL_DAYS-th working day after the visit."""
    return (await deadlines(session, settings, [visited_at]))[visited_at]


async def deadlines(
    session: AsyncSession, settings: Settings, visits: Sequence[datetime]
) -> dict[datetime, datetime]:
    """`deadline` of each visit, the working calendar read once."""
    working = await calendar.load(session)
    return {v: working.deadline(v, settings.hotline_appeal_days) for v in visits}


async def _appealable(
    session: AsyncSession, settings: Settings, principal: Principal, order_no: str
) -> WorkOrder:
    """The order, if the caller's unit handles it and its visit can still be appealed."""
    if not principal.is_unit:
        raise Forbidden("只有承办单位可以对本单位工单的不满意评价提出申诉")
    repo = AppealRepository(session)
    order = await repo.order(order_no, lock=True)
    if order is None or order.handling_unit_code != principal.unit_code:
        raise NotFound(f"工单 {order_no} 不存在或无权查看")
    if order.visited_at is None or order.satisfaction != "dissatisfied":
        raise Conflict("只能对回访不满意的工单提出申诉")
    if order.satisfaction_overturned:
        raise Conflict("该工单的不满意评价已经改判")
    if await repo.for_visit(order) is not None:
        raise Conflict("该次回访已提出过申诉")
    if now_utc() > await deadline(session, settings, order.visited_at):
        raise Conflict(f"已超过申诉期限（回访后 {settings.hotline_appeal_days} 个工作日内）")
    return order


@dataclass(frozen=True, slots=True)
class AppealDraft:
    """What the unit sends: the order, its reason, its account of the evidence, the files."""

    order_no: str
    reason: str
    evidence: str
    files: list[UploadFile]


async def create(
    session: AsyncSession, settings: Settings, principal: Principal, draft: AppealDraft
) -> Appeal:
    """The appeal and its files, in the request's one transaction: the files are checked before
    anything is kept, and deleted again if the transaction does not commit."""
    most = settings.hotline_appeal_max_files
    uploads = await check_uploads(settings, draft.files, max_files=most)
    order = await _appealable(session, settings, principal, draft.order_no)
    assert order.visited_at is not None
    assert order.handling_unit_code is not None
    repo = AppealRepository(session)
    appeal = await repo.add(
        Appeal(
            order_no=draft.order_no,
            unit_code=order.handling_unit_code,
            visited_at=order.visited_at,
            reason=draft.reason,
            evidence=draft.evidence,
            status="pending",
            created_by=principal.username,
        )
    )
    kept = await keep_files(session, settings, uploads)
    files = [AppealFile(appeal_id=appeal.id, **file.columns()) for file in kept]
    await repo.add_files(files)
    await audit.record(
        session,
        actor=principal,
        action="appeal.created",
        entity_type="appeal",
        entity_id=str(appeal.id),
        after={
            "order_no": draft.order_no,
            "reason": draft.reason,
            "evidence": draft.evidence,
            "files": [{"filename": f.filename, "sha256": f.sha256} for f in files],
        },
    )
    return appeal


async def files_of(session: AsyncSession, appeal_ids: Sequence[int]) -> dict[int, list[AppealFile]]:
    return await AppealRepository(session).files_of(appeal_ids)


async def evidence_file(
    session: AsyncSession, settings: Settings, principal: Principal, appeal_id: int, file_id: int
) -> tuple[AppealFile, Path]:
    """An appeal's evidence file, for the appealing unit and the office: another unit's appeal
    does not exist for it (404), and viewers, who read the appeals list, do not download its
    evidence (403)."""
    repo = AppealRepository(session)
    appeal = await repo.readable(principal, appeal_id)
    file = await repo.file(appeal_id, file_id) if appeal is not None else None
    if file is None:
        raise NotFound("证据材料不存在")
    if not (principal.is_office or principal.is_unit):
        raise Forbidden("只有申诉单位和改革办可以下载申诉的证据材料")
    return file, await stored_path(settings, file)


async def decide(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    appeal_id: int,
    overturn: bool,
    reason: str,
) -> Appeal:
    """The office's 复核: upheld, or overturned (the visit leaves the satisfaction rate)."""
    repo = AppealRepository(session)
    appeal = await repo.readable(principal, appeal_id, lock=True)
    if appeal is None:
        raise NotFound(f"申诉 {appeal_id} 不存在")
    if appeal.status != "pending":
        raise Conflict("该申诉已经复核")
    now = now_utc()
    if overturn:
        order = await repo.order(appeal.order_no)
        if order is None or order.visited_at != appeal.visited_at:
            raise Conflict("工单已有新的回访，该申诉针对的评价不再有效，请维持原评价")
        data = office_events.VisitOverturned(
            order_no=appeal.order_no, occurred_at=now, reason=reason, appeal_id=appeal.id
        )
        await office_events.record(
            session, settings, principal, office_events.VISIT_OVERTURNED, data
        )
    appeal.status = "overturned" if overturn else "upheld"
    appeal.decided_by = principal.username
    appeal.decided_at = now
    appeal.decision_reason = reason
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="appeal.decided",
        entity_type="appeal",
        entity_id=str(appeal.id),
        before={"status": "pending"},
        after={"status": appeal.status, "order_no": appeal.order_no, "reason": reason},
    )
    return appeal
