"""Historical import of a year of orders from the platform's export (xlsx or CSV): each row
becomes the events the platform would have pushed; importing the same file again adds
nothing; rows with errors are reported by row and column."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.hotline_ingest.history import service
from services.hotline_ingest.history.reader import read_table
from shared.crypto import decrypt
from shared.models import Delivery, OutboxEvent, WorkOrder
from shared.settings import Settings

HEADER = [
    "工单号", "渠道", "诉求类型", "标题", "诉求内容", "受理时间", "区县代码", "企业名称",
    "统一社会信用代码", "联系人", "联系电话", "分类代码", "承办单位代码", "办理期限",
    "签收时间", "答复时间", "答复内容", "办结时间", "回访时间", "满意度", "是否解决",
]  # fmt: skip
ROWS = [
    ["H1", "电话", "投诉", "开办企业材料重复提交", "被要求重复提交营业执照复印件。",
     "2026-03-02 09:00", "yunzhongqu", "云岭市鑫达机械制造有限公司", "91360100MA35F3WQ1W",
     "王芳", "13912345678", "qy_kaiban", "zhengwu", "", "2026-03-02 15:00", "2026-03-04 10:00",
     "已取消重复提交要求。", "2026-03-04 11:00", "2026-03-06 10:00", "满意", "是"],
    ["H2", "微信", "咨询", "出口退税时限", "出口退税审核需要多久？", "2026-03-03 10:00",
     "yunzhongqu", "", "", "", "", "shuifei", "shuiwu", "", "", "", "", "", "", "", ""],
]  # fmt: skip


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


async def _import(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
    path: Path,
) -> service.ImportReport:
    @asynccontextmanager
    async def chunk() -> AsyncIterator[AsyncSession]:
        async with sessionmaker() as s:
            yield s
            await s.commit()

    rows = await service.prepare(session, settings, read_table(path))
    return await service.import_rows(chunk, settings, rows, chunk=3)


@pytest.mark.parametrize("writer", [_csv, _xlsx])
async def test_a_year_of_orders_imports_once(
    writer: object,
    tmp_path: Path,
    units: None,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    path = writer(tmp_path / ("orders.csv" if writer is _csv else "orders.xlsx"), ROWS)  # type: ignore[operator]
    first = await _import(sessionmaker, session, settings, path)
    assert (first.orders, first.events, first.applied, first.errors) == (2, 6, 6, [])
    second = await _import(sessionmaker, session, settings, path)
    assert (second.applied, second.duplicates) == (0, 6)
    orders = {
        o.order_no: o
        for o in await session.scalars(select(WorkOrder).execution_options(populate_existing=True))
    }
    assert orders["H1"].status == "visited"
    assert orders["H1"].satisfaction == "satisfied"
    assert decrypt(settings.pii_encryption_key, orders["H1"].contact_phone_enc) == "13912345678"
    assert orders["H2"].status == "created"
    assert orders["H2"].kind == "consult"
    assert orders["H2"].due_at is not None  # from the working calendar: consult, 1 working day
    sources = set(await session.scalars(select(Delivery.source)))
    assert sources == {"import"}
    told = int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)
    assert told == 5  # H1: created, responded, closed, visited; H2: created


async def test_rows_with_errors_are_reported_by_row(
    tmp_path: Path,
    units: None,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    broken = [list(ROWS[0]), list(ROWS[1])]
    broken[0][8] = "91360100MA35F3WQ1L"  # wrong check character
    broken[1][5] = "昨天"
    report = await _import(sessionmaker, session, settings, _csv(tmp_path / "bad.csv", broken))
    assert [number for number, _ in report.errors] == [2, 3]
    assert "credit_code" in report.errors[0][1]
    assert "received_at" in report.errors[1][1]
    assert report.applied == 0
