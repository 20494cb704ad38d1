"""The office's task-list spreadsheet: reading messy real files and writing the same layout.

Blocking (zipfile, openpyxl): call `read_rows` and `write_task_list` in a worker thread.
Layout (the fields of seed 001_643c54550577dac0.txt's task list): a title row, then
序号 | 领域 | 任务 | 类别 | 对标 | 目标 | 具体措施 | 牵头单位 | 责任单位 | 完成时限 | 时间节点.
The parsers of single cells (`parse_deadline`, `parse_milestones`, `parse_class` …) are pure.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from shared.office_files import append_row
from shared.validation import ascii_number

# The canonical columns, in the order export writes them.
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
# Columns a task-list sheet must have (领域 may come from heading rows instead).
REQUIRED = ["序号", "任务", "类别", "牵头单位", "责任单位", "完成时限", "时间节点"]
# Header labels offices actually use, by canonical column.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "序号": ("序号", "编号", "任务编号", "任务序号"),
    "领域": ("领域", "所属领域", "改革领域", "任务领域"),
    "任务": (
        "任务",
        "改革任务",
        "任务名称",
        "重点任务",
        "主要任务",
        "任务内容",
        "具体任务",
        "改革事项",
    ),
    "类别": ("类别", "任务类别", "分类", "任务分类", "类型"),
    "对标": ("对标", "对标城市", "对标内容", "对标标准", "对标情况"),
    "目标": ("目标", "改革目标", "工作目标", "任务目标"),
    "具体措施": ("具体措施", "措施", "主要措施", "工作措施", "改革措施"),
    "牵头单位": ("牵头单位", "牵头部门", "牵头责任单位"),
    "责任单位": ("责任单位", "配合单位", "责任部门", "配合部门", "参与单位"),
    "完成时限": ("完成时限", "完成时间", "时限", "时限要求"),
    "时间节点": ("时间节点", "节点安排", "进度安排", "时间安排", "推进节点", "时间节点安排"),
}
_CANONICAL = {label: column for column, labels in HEADER_SYNONYMS.items() for label in labels}
INSTRUCTIONS_SHEET = "填写说明"
EXAMPLE_PREFIX = "示例"

MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_ROWS = 5000  # task rows in the whole file
MAX_SCANNED_ROWS = 100_000  # blank but formatted rows included; bounds the work on odd files
HEADER_SEARCH_ROWS = 30

UNIT_SEPARATORS = re.compile(r"[、，,；;/／\n\r\t]+")
CN_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4}
ONGOING = ("长期坚持", "长期推进", "持续推进", "持续开展", "常态化推进", "长期", "持续")
_ENUMERATION = re.compile(
    r"^(?:\d{1,2}[.、．)）]|[（(]\d{1,2}[)）]|[①-⑳]|[一二三四五六七八九十]+[、.．])\s*"
)
_DOMAIN_DECORATION = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．])\s*"
    r"|[（(]\s*(?:共)?\s*\d+\s*项\s*[)）]$|\d+项$"
)


class FileRejected(ValueError):
    """The upload is not a readable task-list workbook at all."""


@dataclass
class Row:
    """One task row as written: values by canonical column, and the headers as the file names
    them (errors point at those)."""

    sheet: str
    number: int  # the row number Excel shows
    cells: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def column(self, canonical: str) -> str:
        return self.headers.get(canonical, canonical)


@dataclass
class Sheet:
    """A worksheet's problems that are not about one row (a missing required column)."""

    title: str
    header_row: int
    missing: list[str]


@dataclass
class Parsed:
    rows: list[Row]
    sheets: list[Sheet]
    sheet_order: list[str] = field(default_factory=list)


def normalise(value: Any) -> str:
    """Full-width letters, digits and punctuation as ASCII (NFKC); no blanks at the ends."""
    return unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""


def compact(value: Any) -> str:
    """`normalise` without any blanks inside (for codes, names and dates)."""
    return re.sub(r"\s+", "", normalise(value))


# --- cells ------------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year(match: re.Match[str], default: int) -> int:
    return int(match["year"]) if match["year"] else default


_Y = r"(?:(?P<year>\d{4})年)?"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})[日号]?"), "day"),
    (re.compile(_Y + r"(?P<month>\d{1,2})月(?P<day>\d{1,2})[日号]"), "day"),
    (re.compile(_Y + r"(?P<month>\d{1,2})月(?P<part>上旬|中旬|下旬|底|末|份)?"), "month"),
    (re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})"), "month"),
    (re.compile(r"(?P<year>)(?P<month>\d{1,2})[./](?P<day>\d{1,2})"), "day"),
    (re.compile(_Y + r"第?(?P<quarter>[一二三四1-4])季度(?:末|底)?"), "quarter"),
    (re.compile(_Y + r"(?:上半年|年中)(?:末|底)?"), "half"),
    (re.compile(_Y + r"(?:下半年|年底|年末|年内|全年|年度内)"), "year"),
    (re.compile(r"(?P<year>\d{4})年(?:底|末|内)?"), "year"),
]


def _parse_point(plain: str, year: int, ongoing_until: date) -> date | None:
    if plain in ONGOING:
        return ongoing_until
    for pattern, kind in _PATTERNS:
        match = pattern.fullmatch(plain)
        if match is None:
            continue
        y = _year(match, year)
        try:
            if kind == "day":
                return date(y, int(match["month"]), int(match["day"]))
            if kind == "month":
                month = int(match["month"])
                part = match.groupdict().get("part")
                if part == "上旬":
                    return date(y, month, 10)
                if part == "中旬":
                    return date(y, month, 20)
                return _month_end(y, month)
            if kind == "quarter":
                quarter = CN_NUMBERS.get(match["quarter"]) or int(match["quarter"])
                return _month_end(y, 3 * quarter)
            if kind == "half":
                return date(y, 6, 30)
            return date(y, 12, 31)
        except ValueError:
            return None
    return None


def parse_date_text(text: str, year: int, ongoing_until: date) -> date | None:
    """A date as offices write it: `2026-06-30`, `2026年12月31日`, `2026年6月底前`, `6月底前`
    (month end), `6月中旬`, `2026年三季度`/`三季度末` (quarter end), `上半年`, `年底前`,
    `长期坚持` (`ongoing_until`, the programme's end), ranges `3—6月` (their end). A year left
    out is `year`."""
    plain = re.sub(r"^(?:截至|截止到|截止|到|于|在)", "", compact(text))
    previous = None
    while previous != plain:  # `6月底前完成` → `6月底`
        previous, plain = plain, re.sub(r"(?:之前|以前|前|为止|完成)$", "", plain)
    if not plain:
        return None
    found = _parse_point(plain, year, ongoing_until)
    if found is not None:
        return found
    # A range, e.g. `2026年3月—6月`, `3月至6月底`: the deadline is its end.
    match = re.fullmatch(r"(?P<start>.+?)(?:—|–|-|~|～|至|到)+(?P<end>.+)", plain)
    if match:
        start_year = re.match(r"(\d{4})年", match["start"])
        return _parse_point(match["end"], int(start_year[1]) if start_year else year, ongoing_until)
    return None


def parse_deadline(value: Any, year: int, ongoing_until: date) -> tuple[date, str]:
    """(date, the text as written; empty for a date cell). ValueError(text) when unreadable."""
    if isinstance(value, datetime):
        return value.date(), ""
    if isinstance(value, date):
        return value, ""
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        # A date typed into a cell formatted as a number: Excel's serial day.
        return date(1899, 12, 30) + timedelta(days=int(value)), ""
    text = str(value).strip() if value is not None else ""
    if not text:
        raise ValueError("")
    found = parse_date_text(text, year, ongoing_until)
    if found is None:
        raise ValueError(text)
    return found, text


def _milestone(line: str, year: int, ongoing_until: date) -> tuple[date, str] | None:
    """`3月底前：完成方案制定`, `2026年6月30日：…`, also without the colon (`6月底前完成…`)."""
    parts = re.split(r"[：:]", line, maxsplit=1)
    if len(parts) == 2:
        when = parse_date_text(parts[0], year, ongoing_until)
        title = parts[1].strip().rstrip("；;，,")
        if when is not None and title:
            return when, title
    # No colon: the longest beginning that reads as a date, the rest is the step.
    for cut in range(min(len(line), 24), 1, -1):
        when = parse_date_text(line[:cut], year, ongoing_until)
        title = line[cut:].strip().lstrip("，,、 ").rstrip("；;，,")
        if when is not None and title and re.match(r"[前底末日号月度年]", line[cut - 1]):
            return when, title
    return None


def parse_milestones(value: Any, year: int, ongoing_until: date) -> list[tuple[date, str]]:
    """The 时间节点 cell: one milestone per line (or per `；`), in order. ValueError naming the
    first line that cannot be read; ValueError("") when the cell is empty."""
    result: list[tuple[date, str]] = []
    for raw_line in re.split(r"[\r\n]+", str(value) if value is not None else ""):
        line = raw_line.strip()
        if not line:
            continue
        pieces = [p.strip() for p in re.split(r"[；;]", line) if p.strip()]
        candidates = pieces if len(pieces) > 1 else [line]
        parsed = [_line(p, year, ongoing_until) for p in candidates]
        if len(candidates) > 1 and any(p is None for p in parsed):
            parsed = [_line(line, year, ongoing_until)]  # a `；` inside one step's text
            candidates = [line]
        for text, item in zip(candidates, parsed, strict=True):
            if item is None:
                raise ValueError(text)
            result.append(item)
    if not result:
        raise ValueError("")
    return result


def _line(line: str, year: int, ongoing_until: date) -> tuple[date, str] | None:
    found = _milestone(line, year, ongoing_until)
    if found is None and (stripped := _ENUMERATION.sub("", line, count=1)) != line:
        found = _milestone(stripped, year, ongoing_until)  # `1. 3月底前：…`, `（2）6月底前：…`
    return found


def parse_class(value: Any) -> str | None:
    """`A`, `a`, `A类`, `Ａ类`, `A类任务` → `A`."""
    match = re.fullmatch(r"([ABC])(?:类)?(?:任务)?", compact(value).upper())
    return match[1] if match else None


def parse_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    text = compact(value).rstrip(".、")
    return int(text) if ascii_number(text) and 0 < int(text) <= 1_000_000 else None


def split_units(value: Any) -> list[str]:
    """Several units in one cell: separated by `、` `，` `,` `；` `/` or new lines."""
    return [p.strip() for p in UNIT_SEPARATORS.split(normalise(value)) if p.strip()]


def domain_key(value: Any) -> str:
    """A domain as headed in office files: `一、商事登记（15项）` → `商事登记`."""
    text = compact(value)
    previous = None
    while previous != text:
        previous, text = text, _DOMAIN_DECORATION.sub("", text)
    return text


def canonical_header(value: Any) -> str | None:
    """A header cell as a canonical column: blanks, `*` marks and notes in brackets ignored."""
    label = re.sub(r"[（(].*?[)）]", "", compact(value)).strip("*＊:：")
    return _CANONICAL.get(label)


# --- reading ----------------------------------------------------------------------------------


def _check_archive(content: bytes) -> None:
    """Look at the zip directory before openpyxl inflates anything (zip bombs, other files)."""
    if len(content) > MAX_BYTES:
        raise FileRejected("文件不能超过 5 MB")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected("这是旧版 .xls 或加密的文件，请在 Excel 中另存为 .xlsx（不加密）后上传")
    if not content.startswith(b"PK\x03\x04"):
        raise FileRejected("不是 xlsx 文件（请在 Excel 中另存为“Excel 工作簿 (.xlsx)”）")
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRejected("文件已损坏，无法读取") from exc
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise FileRejected("不是 Excel 工作簿（.xlsx），请勿直接修改其他文件的扩展名")
    if not any(n.startswith("xl/worksheets/") for n in names):
        raise FileRejected("工作簿中没有工作表")
    if len(members) > MAX_MEMBERS:
        raise FileRejected("文件结构异常（包含的部件过多），已拒绝")
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
        raise FileRejected("文件解压后超过 50 MB，已拒绝")


def _header(cells: list[Any]) -> dict[int, tuple[str, str]] | None:
    """{column index: (canonical column, label as written)} when this row is the header."""
    found: dict[int, tuple[str, str]] = {}
    seen: set[str] = set()
    for index, value in enumerate(cells):
        canonical = canonical_header(value)
        if canonical is None:
            continue
        if canonical in seen and canonical != "责任单位":
            continue  # a second 责任单位-like column (配合单位) adds units; other repeats are notes
        seen.add(canonical)
        found[index] = (canonical, re.sub(r"\s+", "", str(value)))
    return found if {"序号", "任务"} <= seen else None


def _heading(cells: list[Any], first_column: int) -> str | None:
    """The text of a row like `一、商事登记（15项）` merged across the table (text in the
    table's first cell only), which heads the domain's tasks below it."""
    filled = [(i, v) for i, v in enumerate(cells) if v not in (None, "")]
    if len(filled) != 1:
        return None
    index, value = filled[0]
    if index > first_column or not isinstance(value, str) or parse_number(value) is not None:
        return None
    return value


def read_rows(content: bytes) -> Parsed:
    """Every task row of every visible sheet that has a task-list header. Example rows of the
    template (序号 `示例…`) are skipped. Raises FileRejected for anything that is not such a
    workbook."""
    _check_archive(content)
    try:
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken parts
        raise FileRejected("文件已损坏或不是有效的 Excel 工作簿") from exc
    try:
        return _read_book(book)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected("文件已损坏或不是有效的 Excel 工作簿") from exc
    finally:
        book.close()


def _read_book(book: Any) -> Parsed:
    rows: list[Row] = []
    sheets: list[Sheet] = []
    found_header = False
    for sheet in book.worksheets:
        if (
            sheet.title == INSTRUCTIONS_SHEET
            or getattr(sheet, "sheet_state", "visible") != "visible"
        ):
            continue
        lines = _lines(sheet)
        found = _find_header(lines)
        if found is None:
            continue
        found_header = True
        index, header = found
        labels: dict[str, str] = {}
        for canonical, label in header.values():
            labels.setdefault(canonical, label)
        missing = [c for c in REQUIRED if c not in labels]
        if missing:
            sheets.append(Sheet(sheet.title, index, missing))
        for row in _task_rows(sheet.title, lines, header, labels):
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise FileRejected(f"任务行超过 {MAX_ROWS} 行，已拒绝")
    if not found_header:
        raise FileRejected("未找到任务清单：需要一个包含“序号”“任务”等列标题的表头行")
    if not rows and not sheets:
        raise FileRejected("表头下没有任务行（以“示例”开头的示例行不导入）")
    return Parsed(rows=rows, sheets=sheets, sheet_order=[s.title for s in book.worksheets])


_Line = tuple[int, list[Any]]


def _lines(sheet: Any) -> Iterator[_Line]:
    """(row number as Excel shows it, cells with text trimmed), at most MAX_SCANNED_ROWS."""
    for index, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if index > MAX_SCANNED_ROWS:
            raise FileRejected(f"工作表“{sheet.title}”行数过多，已拒绝")
        yield index, [v.strip() if isinstance(v, str) else v for v in values]


def _find_header(lines: Iterator[_Line]) -> tuple[int, dict[int, tuple[str, str]]] | None:
    """The header row among the first HEADER_SEARCH_ROWS lines, which are consumed up to it."""
    for index, cells in lines:
        if index > HEADER_SEARCH_ROWS:
            return None
        header = _header(cells)
        if header is not None:
            return index, header
    return None


def _task_rows(
    title: str,
    lines: Iterator[_Line],
    header: dict[int, tuple[str, str]],
    labels: dict[str, str],
) -> Iterator[Row]:
    """The rows below the header that are tasks: blank lines, domain headings and the
    template's example rows are not."""
    first_column = min(header)
    domain_fill: Any = None
    for index, cells in lines:
        if all(v in (None, "") for v in cells):
            continue
        heading = _heading(cells, first_column)
        if heading is not None:
            domain_fill = heading
            continue
        record = _record(cells, header)
        if normalise(record.get("序号")).startswith(EXAMPLE_PREFIX):
            continue
        # 领域 is often a merged cell over its tasks (only the first row holds the value),
        # or a heading row above them.
        if record.get("领域") in (None, ""):
            record["领域"] = domain_fill
        domain_fill = record.get("领域")
        yield Row(sheet=title, number=index, cells=record, headers=labels)


def _record(cells: list[Any], header: dict[int, tuple[str, str]]) -> dict[str, Any]:
    """A line's values by canonical column."""
    record: dict[str, Any] = {}
    for position, (canonical, _) in header.items():
        value = cells[position] if position < len(cells) else None
        if canonical in record and value not in (None, ""):
            # 责任单位 and 配合单位 side by side: both are responsible units.
            record[canonical] = "\n".join(
                str(v) for v in (record[canonical], value) if v not in (None, "")
            )
        elif canonical not in record:
            record[canonical] = value
    return record


# --- writing ----------------------------------------------------------------------------------

_WIDTHS = [6, 14, 30, 6, 30, 40, 40, 16, 28, 16, 44]
_THIN = Side(style="thin", color="999999")


def write_task_list(
    title: str, tasks: list[dict[str, Any]], *, instructions: list[tuple[str, str]] | None = None
) -> bytes:
    """A title row, the header, one row per task with 领域 merged over its consecutive tasks;
    with `instructions`, a second sheet 填写说明."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "任务清单"
    append_row(sheet, [title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28
    sheet.append(COLUMNS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
    for position, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[chr(ord("A") + position - 1)].width = width
    sheet.freeze_panes = "A3"
    start = 3
    for offset, task in enumerate(tasks):
        append_row(sheet, [task.get(c) for c in COLUMNS])
        for cell in sheet[start + offset]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
    row = start
    end_of_data = start + len(tasks)
    while row < end_of_data:
        end = row
        while (
            end + 1 < end_of_data and tasks[end + 1 - start]["领域"] == tasks[row - start]["领域"]
        ):
            end += 1
        if end > row:
            sheet.merge_cells(start_row=row, start_column=2, end_row=end, end_column=2)
        row = end + 1
    if instructions is not None:
        notes = book.create_sheet(INSTRUCTIONS_SHEET)
        notes.append(["列", "填写要求"])
        for cell in notes[1]:
            cell.font = Font(bold=True)
        for line in instructions:
            append_row(notes, line)
        for cells in notes.iter_rows(min_row=2):
            for cell in cells:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        notes.column_dimensions["A"].width = 14
        notes.column_dimensions["B"].width = 100
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
