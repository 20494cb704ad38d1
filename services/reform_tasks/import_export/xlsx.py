"""The office's task-list spreadsheet: reading messy real files and writing the same layout.

Blocking (openpyxl): call these in a thread. Layout (seed 001's task list): a title row, then
序号 | 领域 | 任务 | 类别 | 对标 | 目标 | 具体措施 | 牵头单位 | 责任单位 | 完成时限 | 时间节点.
"""

from __future__ import annotations

import calendar
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

COLUMNS = [
    "序号",
    "领域",
    "任务",
    "类别",
    "对标",
    "目标",
    "具体措施",
    "牵头单位",
    "责任单位",
    "完成时限",
    "时间节点",
]
REQUIRED = ["序号", "领域", "任务", "类别", "牵头单位", "责任单位", "完成时限", "时间节点"]
MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ROWS = 5000
UNIT_SEPARATORS = re.compile(r"[、，,；;/\n\r]+")
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}


class FileRejected(ValueError):
    """The upload is not a readable task-list workbook at all."""


@dataclass
class Row:
    sheet: str
    number: int  # the row number Excel shows
    cells: dict[str, Any] = field(default_factory=dict)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_deadline(value: Any, year: int) -> tuple[date, str]:
    """(date, the text as written). Raises ValueError with the text when it cannot be read."""
    if isinstance(value, datetime):
        return value.date(), ""
    if isinstance(value, date):
        return value, ""
    text = str(value or "").strip()
    if not text:
        raise ValueError("完成时限为空")
    plain = text.replace(" ", "")
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(前|之前)?", plain)
    if match:
        return date(int(match[1]), int(match[2]), int(match[3])), text
    match = re.fullmatch(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日(前|之前)?", plain)
    if match:
        return date(int(match[1] or year), int(match[2]), int(match[3])), text
    match = re.fullmatch(r"(?:(\d{4})年)?(\d{1,2})月(底|末)?(前|之前)?", plain)
    if match:
        return _month_end(int(match[1] or year), int(match[2])), text
    match = re.fullmatch(r"(?:(\d{4})年)?(?:第)?([一二三四1-4])季度(末|底)?(前|之前)?", plain)
    if match:
        quarter = CN_DIGITS.get(match[2]) or int(match[2])
        return _month_end(int(match[1] or year), 3 * quarter), text
    match = re.fullmatch(r"(?:(\d{4})年)?(上半年|年中)(底|末)?(前)?", plain)
    if match:
        return date(int(match[1] or year), 6, 30), text
    match = re.fullmatch(r"(?:(\d{4})年)?(下半年|年底|年末|年内|全年)(前)?", plain)
    if match or plain in ("长期坚持", "持续推进", "长期推进"):
        return date(int(match[1] or year) if match else year, 12, 31), text
    raise ValueError(text)


def split_units(value: Any) -> list[str]:
    return [p.strip() for p in UNIT_SEPARATORS.split(str(value or "")) if p.strip()]


def parse_milestones(value: Any, year: int) -> list[tuple[date, str]]:
    """Lines like `3月底前：完成方案制定`; raises ValueError naming the first bad line."""
    lines = [ln.strip() for ln in re.split(r"[\n\r；;]+", str(value or "")) if ln.strip()]
    result = []
    for line in lines:
        parts = re.split(r"[：:]", line, maxsplit=1)
        if len(parts) != 2 or not parts[1].strip():
            raise ValueError(line)
        when, _ = parse_deadline(parts[0].strip(), year)
        result.append((when, parts[1].strip()))
    if not result:
        raise ValueError("时间节点为空")
    return result


def read_rows(content: bytes) -> list[Row]:
    if len(content) > MAX_BYTES:
        raise FileRejected("文件不能超过 5 MB")
    if not content.startswith(b"PK\x03\x04"):
        raise FileRejected("不是 xlsx 文件（请另存为 Excel 工作簿 .xlsx）")
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = archive.namelist()
            if "xl/workbook.xml" not in names:
                raise FileRejected("不是 Excel 工作簿（.xlsx）")
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED:
                raise FileRejected("文件解压后过大，已拒绝")
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected("文件已损坏或无法读取") from exc
    rows: list[Row] = []
    for sheet in book.worksheets:
        if sheet.title == "填写说明":
            continue
        header: list[str] | None = None
        domain_fill: Any = None
        for index, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if index > MAX_ROWS + 20:
                raise FileRejected(f"工作表“{sheet.title}”超过 {MAX_ROWS} 行")
            cells = [str(v).strip() if isinstance(v, str) else v for v in values]
            if header is None:
                labels = [str(v).strip() if v is not None else "" for v in cells]
                if "序号" in labels and "任务" in labels:
                    header = labels
                continue
            if all(v in (None, "") for v in cells):
                continue
            record = {
                label: cells[i] if i < len(cells) else None
                for i, label in enumerate(header)
                if label
            }
            # 领域 is often a merged cell over its tasks: only the first row holds the value.
            if record.get("领域") in (None, ""):
                record["领域"] = domain_fill
            domain_fill = record.get("领域")
            rows.append(Row(sheet=sheet.title, number=index, cells=record))
        if header is None and rows == []:
            continue
    if not rows:
        raise FileRejected("未找到任务清单（需要包含“序号”“任务”等列的表头）")
    return rows


def write_task_list(title: str, tasks: list[dict[str, Any]], *, example: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "任务清单"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(COLUMNS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    widths = [6, 14, 30, 6, 30, 40, 40, 16, 28, 16, 40]
    for column, width in zip("ABCDEFGHIJK", widths, strict=True):
        sheet.column_dimensions[column].width = width
    start = 3
    for position, task in enumerate(tasks):
        row = start + position
        sheet.append([task[c] for c in COLUMNS])
        for cell in sheet[row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    # 领域 as merged cells over consecutive tasks of the same domain, as offices write it.
    row = start
    while row < start + len(tasks):
        end = row
        while (
            end + 1 < start + len(tasks)
            and tasks[end + 1 - start]["领域"] == tasks[row - start]["领域"]
        ):
            end += 1
        if end > row:
            sheet.merge_cells(start_row=row, start_column=2, end_row=end, end_column=2)
        row = end + 1
    if example:
        notes = book.create_sheet("填写说明")
        for line in INSTRUCTIONS:
            notes.append(line)
        notes.column_dimensions["A"].width = 14
        notes.column_dimensions["B"].width = 90
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


INSTRUCTIONS = [
    ("列", "填写要求"),
    ("序号", "任务编号，整数，同一改革工程内不能重复；已存在的序号表示修改该任务"),
    ("领域", "领域名称或代码；同一领域可合并单元格"),
    ("任务", "任务名称"),
    ("类别", "A / B / C（可写作“A类”）：A 补齐短板，B 放大优势，C 需法律法规授权"),
    ("对标", "对标城市或标准，可空"),
    ("目标", "改革目标；为空时以任务名称代替"),
    ("具体措施", "可空"),
    ("牵头单位", "一个单位：全称、简称、别名或代码"),
    ("责任单位", "一个或多个单位，用“、”“，”或换行分隔；不能包含牵头单位"),
    ("完成时限", "如 2026年6月底前、2026年12月31日、2026年三季度、长期坚持，或日期单元格"),
    ("时间节点", "每行一个，如“3月底前：完成方案制定”，日期须依次递增且不晚于完成时限"),
]
