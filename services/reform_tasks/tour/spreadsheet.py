"""A round's score sheet as an xlsx: one row per district, as the caller may see it (points only
where the service shows them; totals and ranks once published). Values only, never a formula
(`shared.office_files.append_row`)."""

from __future__ import annotations

import asyncio
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from services.reform_tasks.tour.schemas import TourRoundDetailOut
from shared.models import TourProjectRole
from shared.office_files import append_row


def _book(tour: TourRoundDetailOut) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "观摩评分"
    append_row(sheet, [tour.name])
    sheet["A1"].font = Font(bold=True, size=14)
    state = "已发布" if tour.published_at else "评分中（未发布）"
    append_row(sheet, [f"观摩日期 {tour.held_on}；评分表满分 {tour.max_total:g} 分；{state}"])
    append_row(
        sheet,
        [
            "名次",
            "区县",
            *(f"{i.name}（{i.max_points:g}）" for i in tour.items),
            "总分",
            "新开工项目",
            "竣工项目",
            "提示",
        ],
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for district in tour.districts:
        points = {s.item_id: s.points for s in district.scores or []}
        append_row(
            sheet,
            [
                district.rank,
                district.unit_name,
                *(points.get(i.id) for i in tour.items),
                district.total,
                "、".join(p.name for p in district.projects if p.role is TourProjectRole.new_start),
                "、".join(p.name for p in district.projects if p.role is TourProjectRole.completed),
                district.mix_warning or "",
            ],
        )
    sheet.column_dimensions["B"].width = 24
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def round_xlsx(tour: TourRoundDetailOut) -> bytes:
    return await asyncio.to_thread(_book, tour)
