"""Work orders as the office and handling units read them (seed 004_1871f105e1d7927d.txt: 12345
tracks and supervises the handling of every appeal, 跟踪督办). Personal data is masked in every
list, detail and export (张*, 138****5678; phone and ID numbers inside free text too); an office
admin may reveal one order's contact with a reason, which is audited."""

from __future__ import annotations

import asyncio
from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.repeats import service as repeat_requests
from services.hotline_ingest.work_order.repository import WorkOrderRepository
from services.hotline_ingest.work_order.schemas import (
    Contact,
    WorkOrderDetail,
    WorkOrderEventOut,
    WorkOrderFilters,
    WorkOrderOut,
)
from shared import audit
from shared.auth import Principal
from shared.clock import SHANGHAI
from shared.crypto import decrypt, mask_name, mask_phone, mask_text
from shared.errors import NotFound
from shared.models import WorkOrder
from shared.office_files import append_row
from shared.pagination import Page, PageParams
from shared.settings import Settings

EXPORT_LIMIT = 50_000
STATUS_NAMES = {
    "created": "已受理",
    "assigned": "已派单",
    "accepted": "已签收",
    "replied": "已答复",
    "closed": "已办结",
    "visited": "已回访",
    "returned": "已退单",
}
KIND_NAMES = {
    "consult": "咨询",
    "complaint": "投诉",
    "help": "求助",
    "suggestion": "建议",
    "report": "举报",
}
CHANNEL_NAMES = {"phone": "电话", "web": "网站", "wechat": "微信", "app": "APP"}
SATISFACTION_NAMES = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}


def is_overdue(order: WorkOrder, now: datetime) -> bool:
    """超期: not closed (nor visited) and past its due time."""
    return (
        order.closed_at is None
        and order.visited_at is None
        and order.due_at is not None
        and order.due_at < now
    )


def to_out(
    order: WorkOrder,
    settings: Settings,
    domain_code: str | None = None,
    now: datetime | None = None,
) -> WorkOrderOut:
    key = settings.pii_encryption_key
    return WorkOrderOut(
        order_no=order.order_no,
        status=order.status,
        channel=order.channel,
        kind=order.kind,
        urgency=order.urgency,
        title=mask_text(order.title),
        category_code=order.category_code,
        domain_code=domain_code,
        district_code=order.district_code,
        handling_unit_code=order.handling_unit_code,
        enterprise_name=order.enterprise_name,
        credit_code=order.credit_code,
        contact_name=mask_name(decrypt(key, order.contact_name_enc)),
        contact_phone=mask_phone(decrypt(key, order.contact_phone_enc)),
        received_at=order.received_at,
        assigned_at=order.assigned_at,
        due_at=order.due_at,
        accepted_at=order.accepted_at,
        replied_at=order.replied_at,
        closed_at=order.closed_at,
        visited_at=order.visited_at,
        satisfaction=order.satisfaction,
        resolved=order.resolved,
        overdue=is_overdue(order, now or datetime.now(SHANGHAI)),
        quarantine_reason=order.quarantine_reason,
    )


async def list_orders(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    page: PageParams,
    filters: WorkOrderFilters,
    now: datetime,
) -> Page[WorkOrderOut]:
    rows, total = await WorkOrderRepository(session).page(principal, filters, now, page)
    items = await repeat_requests.annotate(session, [to_out(o, settings, d, now) for o, d in rows])
    return Page[WorkOrderOut](items=items, total=total)


async def _get(
    session: AsyncSession, principal: Principal, order_no: str
) -> tuple[WorkOrder, str | None]:
    row = await WorkOrderRepository(session).get_readable(principal, order_no)
    if row is None:
        raise NotFound(f"工单 {order_no} 不存在或无权查看")
    return row


async def detail(
    session: AsyncSession, settings: Settings, principal: Principal, order_no: str, now: datetime
) -> WorkOrderDetail:
    order, domain = await _get(session, principal, order_no)
    events = await WorkOrderRepository(session).events(order_no)
    (out,) = await repeat_requests.annotate(session, [to_out(order, settings, domain, now)])
    return WorkOrderDetail(
        **out.model_dump(),
        content=mask_text(order.content),
        reply=mask_text(order.reply),
        returned_reason=order.returned_reason,
        first_contacted_at=order.first_contacted_at,
        returned_at=order.returned_at,
        satisfaction_overturned=order.satisfaction_overturned,
        events=[
            WorkOrderEventOut(
                type=e.type,
                occurred_at=e.occurred_at,
                source=source,
                received_at=received,
                data={k: mask_text(v) if isinstance(v, str) else v for k, v in e.data.items()},
            )
            for e, source, received in events
        ],
    )


async def reveal(
    session: AsyncSession, settings: Settings, principal: Principal, order_no: str, reason: str
) -> Contact:
    """An office admin sees one order's contact, with a reason, and the audit log says so."""
    order, _ = await _get(session, principal, order_no)
    await audit.record(
        session,
        actor=principal,
        action="work_order.contact_revealed",
        entity_type="work_order",
        entity_id=order_no,
        after={"reason": reason},
    )
    key = settings.pii_encryption_key
    return Contact(
        order_no=order_no,
        contact_name=decrypt(key, order.contact_name_enc),
        contact_phone=decrypt(key, order.contact_phone_enc),
    )


EXPORT_COLUMNS = (
    ("工单号", 18),
    ("状态", 8),
    ("诉求类型", 8),
    ("渠道", 6),
    ("标题", 36),
    ("分类", 14),
    ("领域", 12),
    ("区县", 12),
    ("承办单位", 14),
    ("企业名称", 28),
    ("统一社会信用代码", 22),
    ("联系人", 8),
    ("联系电话", 14),
    ("受理时间", 18),
    ("办理期限", 18),
    ("签收时间", 18),
    ("办结时间", 18),
    ("回访结果", 10),
    ("是否解决", 8),
    ("是否超期", 8),
    ("待处理原因", 30),
)


def _local(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def _export_row(out: WorkOrderOut) -> list[Any]:
    return [
        out.order_no,
        STATUS_NAMES.get(out.status, out.status),
        KIND_NAMES.get(out.kind or "", out.kind or ""),
        CHANNEL_NAMES.get(out.channel or "", out.channel or ""),
        out.title or "",
        out.category_code or "",
        out.domain_code or "",
        out.district_code or "",
        out.handling_unit_code or "",
        out.enterprise_name or "",
        out.credit_code or "",
        out.contact_name or "",
        out.contact_phone or "",
        _local(out.received_at),
        _local(out.due_at),
        _local(out.accepted_at),
        _local(out.closed_at),
        SATISFACTION_NAMES.get(out.satisfaction or "", ""),
        "" if out.resolved is None else ("是" if out.resolved else "否"),
        "是" if out.overdue else "否",
        out.quarantine_reason or "",
    ]


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "12345工单"
    sheet.append([name for name, _ in EXPORT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (_, width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    sheet.freeze_panes = "A2"
    for row in rows:
        append_row(sheet, row)  # the platform's texts: cleaned, never a formula
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def export(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    filters: WorkOrderFilters,
    now: datetime,
) -> bytes:
    """The filtered list as xlsx (≤ 50,000 rows), contacts masked, built off the event loop."""
    orders = WorkOrderRepository(session).stream(principal, filters, now, EXPORT_LIMIT)
    rows = [_export_row(to_out(order, settings, domain, now)) async for order, domain in orders]
    return await asyncio.to_thread(_workbook, rows)
