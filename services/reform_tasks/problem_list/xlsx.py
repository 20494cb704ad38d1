"""A filed list's lines as a workbook, and back: 序号, 问题, 原因, 措施, 责任人, 完成时限. The
export is the import's template (what a unit downloads it can fill in and upload again); text
from people is written as text, never a formula (shared.office_files)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from services.reform_tasks.problem_list.schemas import MAX_ITEMS
from shared.office_files import append_row

COLUMNS = ["序号", "问题", "原因", "措施", "责任人", "完成时限"]
FIELDS = {
    "问题": "problem",
    "原因": "cause",
    "措施": "measure",
    "责任人": "responsible_person",
    "完成时限": "due_on",
}
MAX_BYTES = 2 * 1024 * 1024  # office default: a list is a few hundred lines at most
MAX_UNCOMPRESSED = 20 * 1024 * 1024
MAX_ROWS = MAX_ITEMS


class WorkbookRejected(ValueError):
    """Not a readable list workbook at all."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str


def render(title: str, unit_name: str, rows: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "问题清单"
    append_row(sheet, [f"{unit_name}：{title}"])
    sheet["A1"].font = Font(bold=True, size=13)
    append_row(sheet, COLUMNS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for index, row in enumerate(rows, start=1):
        append_row(
            sheet,
            [
                index,
                row["problem"],
                row["cause"],
                row["measure"],
                row["responsible_person"],
                row["due_on"].isoformat(),
            ],
        )
    for letter, width in zip("ABCDEF", (6, 40, 30, 40, 10, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _check_archive(content: bytes) -> None:
    if not content.startswith(b"PK\x03\x04"):
        raise WorkbookRejected("不是 xlsx 文件（请在 Excel 中另存为“Excel 工作簿 (.xlsx)”）")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise WorkbookRejected("文件已损坏，无法读取") from exc
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise WorkbookRejected("不是 Excel 工作簿（.xlsx）")
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
        raise WorkbookRejected("文件解压后过大，已拒绝")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _due(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    for cut in ("年", "月"):
        text = text.replace(cut, "-")
    text = text.removesuffix("日")
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        return None


def _header_columns(rows: list[tuple[Any, ...]]) -> tuple[int, dict[str, int]]:
    """(header row index, {field: column}) from the first rows naming every column."""
    for index, cells in enumerate(rows[:10]):
        labels = {_text(c): i for i, c in enumerate(cells)}
        if all(label in labels for label in FIELDS):
            return index, {field: labels[label] for label, field in FIELDS.items()}
    raise WorkbookRejected("未找到表头：需要“问题、原因、措施、责任人、完成时限”五列")


def read(content: bytes) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The lines of an uploaded list (blank lines skipped) and the cells that cannot be read."""
    _check_archive(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 20))
        book.close()
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise WorkbookRejected("文件无法读取，请确认是 Excel 工作簿") from exc
    header, columns = _header_columns(rows)
    lines: list[dict[str, Any]] = []
    errors: list[RowError] = []
    for offset, cells in enumerate(rows[header + 1 :], start=header + 2):
        values = {f: cells[c] if c < len(cells) else None for f, c in columns.items()}
        if not any(_text(v) for v in values.values()):
            continue
        line: dict[str, Any] = {f: _text(v) for f, v in values.items() if f != "due_on"}
        due = _due(values["due_on"])
        if due is None:
            errors.append(RowError(offset, "完成时限", "无法识别的日期，应为 2026-09-30"))
        line["due_on"] = due
        line["row"] = offset
        lines.append(line)
    if len(lines) > MAX_ROWS:
        raise WorkbookRejected(f"清单最多 {MAX_ROWS} 行")
    return lines, errors
