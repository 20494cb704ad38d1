"""The key-project register as a spreadsheet (export, and import of the same layout: exporting
and importing again changes nothing) and the weekly digest as a spreadsheet. The workbook
code (openpyxl, blocking) runs in a worker thread; exports never hold formulas (append_row)."""

from __future__ import annotations

import asyncio
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.project import rules
from services.reform_tasks.project.repository import ProjectRepository
from services.reform_tasks.project.schemas import ImportResult, WeeklyDigest
from services.reform_tasks.project.service import apply_stage, entity, snapshot
from shared import audit
from shared.auth import Principal
from shared.clock import today_shanghai
from shared.errors import FieldError, ValidationFailed
from shared.models import Programme, Project, ProjectNode, Unit
from shared.office_files import append_row

SHEET = "重点项目"
COLUMNS = [
    "项目编号",
    "项目名称",
    "级别",
    "所在县（市、区）",
    "责任单位",
    "业主",
    "总投资（万元）",
    "行业",
    "阶段",
    "状态",
    "开工日期",
    "竣工日期",
    "市级领导",
    "领导职务",
    "工作班子",
    "节点",
]
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
MAX_UNCOMPRESSED = 50 * 1024 * 1024
_NODE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(.+?)(?:（完成\s*(\d{4}-\d{2}-\d{2})）)?$")
_LEVELS = {label: level for level, label in rules.LEVEL_LABELS.items()}
_STAGES = {label: stage for stage, label in rules.STAGE_LABELS.items()}
_STATUSES = {label: status for status, label in rules.STATUS_LABELS.items()}


def _node_line(node: ProjectNode) -> str:
    done = f"（完成 {node.actual_on.isoformat()}）" if node.actual_on else ""
    return f"{node.planned_on.isoformat()} {node.name}{done}"


def register_row(project: Project) -> list[Any]:
    return [
        project.code,
        project.name,
        rules.LEVEL_LABELS[project.level],
        project.district_unit.name,
        project.lead_unit.name,
        project.owner,
        str(project.investment),
        project.industry,
        rules.STAGE_LABELS[project.stage],
        rules.STATUS_LABELS[project.status],
        project.started_on.isoformat() if project.started_on else "",
        project.completed_on.isoformat() if project.completed_on else "",
        project.leader_name,
        project.leader_title,
        project.team_members,
        "\n".join(_node_line(n) for n in project.nodes),
    ]


def _book(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def export_register(
    session: AsyncSession, principal: Principal, programme: Programme
) -> bytes:
    """The register the caller reads (a unit: its own projects), in the import layout."""
    projects = await ProjectRepository(session).all_readable(principal, programme.id)
    rows = [register_row(p) for p in projects]
    return await asyncio.to_thread(_book, SHEET, COLUMNS, rows)


def digest_rows(digest: WeeklyDigest) -> list[list[Any]]:
    rows = []
    for row in digest.projects:
        report = row.report
        state = (
            "未报" if row.missing else ("已报" if report and report.week == digest.week else "—")
        )
        rows.append(
            [
                row.code,
                row.name,
                rules.LEVEL_LABELS[row.level],
                row.district_name,
                row.lead_unit_name,
                rules.STAGE_LABELS[row.stage],
                state,
                report.week if report else "",
                "\n".join(p.progress for p in report.node_progress) if report else "",
                report.problems if report else "",
                report.solutions if report else "",
                "\n".join(row.open_problems),
            ]
        )
    return rows


DIGEST_COLUMNS = [
    "项目编号",
    "项目名称",
    "级别",
    "所在县（市、区）",
    "责任单位",
    "阶段",
    "本周周报",
    "周报周次",
    "节点进展",
    "存在问题",
    "解决建议",
    "未销号问题",
]


async def digest_xlsx(digest: WeeklyDigest) -> bytes:
    return await asyncio.to_thread(
        _book, f"周报汇总{digest.week}", DIGEST_COLUMNS, digest_rows(digest)
    )


# --- import -----------------------------------------------------------------------------------


@dataclass
class Planned:
    """One row of the file, checked."""

    row: int
    fields: dict[str, Any]
    nodes: list[tuple[str, date, date | None]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value).strip()


def read_sheet(content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of the first sheet under its header row, by column label (blocking)."""
    if len(content) > MAX_BYTES or not content.startswith(b"PK\x03\x04"):
        raise ValidationFailed("请上传不超过 5 MB 的 .xlsx 文件")
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
        if inflated > MAX_UNCOMPRESSED:
            raise ValidationFailed("文件解压后超过 50 MB，已拒绝")
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except ValidationFailed:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a file that is not a workbook
        raise ValidationFailed("文件已损坏或不是 Excel 工作簿（.xlsx）") from exc
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [_cell(v) for v in next(lines, ())]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(f"缺少列：{'、'.join(missing)}（请使用导出的版式）")
    rows = []
    for number, values in enumerate(lines, start=2):
        if number > MAX_ROWS + 1:
            raise ValidationFailed(f"一次最多导入 {MAX_ROWS} 个项目")
        record = {label: _cell(v) for label, v in zip(header, values, strict=False) if label}
        if any(record.values()):
            rows.append((number, record))
    book.close()
    return rows


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, row: int, column: str, msg: str) -> None:
        self.items.append(FieldError(loc=[SHEET, row, column], msg=msg, type="value"))


def _date(text: str, row: int, column: str, errors: _Errors) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.add(row, column, "日期须为 YYYY-MM-DD")
        return None


def _nodes(text: str, row: int, errors: _Errors) -> list[tuple[str, date, date | None]]:
    nodes = []
    for line in filter(None, (part.strip() for part in text.splitlines())):
        match = _NODE.match(line)
        if match is None:
            errors.add(
                row, "节点", f"无法识别“{line}”（格式：2026-03-31 节点名称（完成 2026-04-02））"
            )
            continue
        try:
            planned = date.fromisoformat(match[1])
            actual = date.fromisoformat(match[3]) if match[3] else None
        except ValueError:
            errors.add(row, "节点", f"日期无效：“{line}”")
            continue
        nodes.append((match[2].strip(), planned, actual))
    return nodes


def _unit(text: str, units: dict[str, Unit], row: int, column: str, errors: _Errors) -> int:
    unit = units.get(text)
    if unit is None:
        errors.add(row, column, f"单位“{text}”不存在")
        return 0
    return unit.id


def _choice(text: str, options: dict[str, Any], row: int, column: str, errors: _Errors) -> Any:
    if text not in options:
        errors.add(row, column, f"须为：{'、'.join(options)}")
    return options.get(text)


def _investment(text: str, row: int, errors: _Errors) -> Decimal:
    try:
        value = Decimal(text or "0").quantize(Decimal("0.01"))
    except InvalidOperation:
        errors.add(row, "总投资（万元）", "须为数字（万元）")
        return Decimal(0)
    if value < 0 or value >= Decimal("1e12"):
        errors.add(row, "总投资（万元）", "须在 0 到 999999999999.99 万元之间")
    return value


def plan_row(
    number: int, record: dict[str, str], units: dict[str, Unit], errors: _Errors
) -> Planned:
    code, name = record.get("项目编号", ""), record.get("项目名称", "")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", code):
        errors.add(number, "项目编号", "须为 1–32 位字母、数字、-、_ 或 .")
    if not 2 <= len(name) <= 200:
        errors.add(number, "项目名称", "须为 2–200 字")
    fields = {
        "code": code,
        "name": name,
        "level": _choice(record.get("级别", ""), _LEVELS, number, "级别", errors),
        "district_unit_id": _unit(
            record.get("所在县（市、区）", ""), units, number, "所在县（市、区）", errors
        ),
        "lead_unit_id": _unit(record.get("责任单位", ""), units, number, "责任单位", errors),
        "owner": record.get("业主", "")[:200],
        "investment": _investment(record.get("总投资（万元）", ""), number, errors),
        "industry": record.get("行业", "")[:64],
        "stage": _choice(record.get("阶段", ""), _STAGES, number, "阶段", errors),
        "status": _choice(record.get("状态", ""), _STATUSES, number, "状态", errors),
        "started_on": _date(record.get("开工日期", ""), number, "开工日期", errors),
        "completed_on": _date(record.get("竣工日期", ""), number, "竣工日期", errors),
        "leader_name": record.get("市级领导", "")[:64],
        "leader_title": record.get("领导职务", "")[:128],
        "team_members": record.get("工作班子", "")[:2000],
    }
    return Planned(number, fields, _nodes(record.get("节点", ""), number, errors))


def _unit_index(units: list[Unit]) -> dict[str, Unit]:
    index: dict[str, Unit] = {}
    for unit in units:
        for key in (unit.short_name, unit.code, unit.name):
            index[key] = unit
    return index


def _current(project: Project) -> dict[str, Any]:
    return {key: getattr(project, key) for key in [*PLAIN_FIELDS, "stage"]}


PLAIN_FIELDS = [
    "code",
    "name",
    "level",
    "district_unit_id",
    "lead_unit_id",
    "owner",
    "investment",
    "industry",
    "status",
    "started_on",
    "completed_on",
    "leader_name",
    "leader_title",
    "team_members",
]


def _node_rows(programme: Programme, project_id: int, planned: Planned) -> list[ProjectNode]:
    return [
        ProjectNode(
            programme_id=programme.id,
            project_id=project_id,
            ordinal=i,
            name=name,
            planned_on=planned_on,
            actual_on=actual_on,
        )
        for i, (name, planned_on, actual_on) in enumerate(planned.nodes, start=1)
    ]


def _check_stage(planned: Planned, project: Project | None, errors: _Errors) -> None:
    stage = planned.fields["stage"]
    if (
        project is not None
        and stage is not None
        and stage != project.stage
        and not rules.is_forward(project.stage, stage)
    ):
        errors.add(planned.row, "阶段", "项目阶段不能退回")


async def import_register(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    content: bytes,
    *,
    dry_run: bool,
) -> ImportResult:
    """The office imports the register (all or nothing; 422 naming sheet, row and column):
    new codes are created, known ones updated; a stage moves forward only, audited like a
    change through the API. Importing an export unchanged changes nothing."""
    rows = await asyncio.to_thread(read_sheet, content)
    repository = ProjectRepository(session)
    units = _unit_index(list(await repository.units()))
    existing = {p.code: p for p in await repository.all_readable(principal, programme.id)}
    errors = _Errors()
    plans = [plan_row(number, record, units, errors) for number, record in rows]
    seen: set[str] = set()
    for planned in plans:
        if planned.fields["code"] in seen:
            errors.add(planned.row, "项目编号", "文件中重复")
        seen.add(planned.fields["code"])
        _check_stage(planned, existing.get(planned.fields["code"]), errors)
    if errors.items:
        raise ValidationFailed("导入文件有误，未写入任何数据", errors=errors.items)
    created, updated = [], []
    for planned in plans:
        project = existing.get(planned.fields["code"])
        if project is None:
            created.append(planned.fields["code"])
            if not dry_run:
                await _create(session, principal, programme, planned)
        elif _differs(project, planned):
            updated.append(project.code)
            if not dry_run:
                await _update(session, principal, programme, project, planned)
    return ImportResult(
        dry_run=dry_run,
        created=created,
        updated=updated,
        unchanged=len(plans) - len(created) - len(updated),
    )


def _differs(project: Project, planned: Planned) -> bool:
    nodes = [(n.name, n.planned_on, n.actual_on) for n in project.nodes]
    return _current(project) != planned.fields or nodes != planned.nodes


async def _create(
    session: AsyncSession, principal: Principal, programme: Programme, planned: Planned
) -> None:
    project = Project(
        programme_id=programme.id, stage_changed_on=today_shanghai(), **planned.fields
    )
    repository = ProjectRepository(session)
    await repository.add(project)
    session.add_all(_node_rows(programme, project.id, planned))
    await session.flush()
    loaded = await repository.by_code(programme.id, project.code)
    assert loaded is not None
    await audit.record(
        session,
        actor=principal,
        action="project.created",
        entity_type="project",
        entity_id=entity(programme, loaded),
        after={**snapshot(loaded), "source": "import"},
    )


async def _update(
    session: AsyncSession,
    principal: Principal,
    programme: Programme,
    project: Project,
    planned: Planned,
) -> None:
    before = snapshot(project)
    fields = dict(planned.fields)
    stage = fields.pop("stage")
    if stage != project.stage:
        await apply_stage(session, principal, programme, project, stage, today_shanghai())
    for key, value in fields.items():
        setattr(project, key, value)
    nodes = [(n.name, n.planned_on, n.actual_on) for n in project.nodes]
    repository = ProjectRepository(session)
    if nodes != planned.nodes:
        await repository.replace_nodes(project, _node_rows(programme, project.id, planned))
    await session.flush()
    loaded = await repository.by_code(programme.id, project.code)
    assert loaded is not None
    await audit.record(
        session,
        actor=principal,
        action="project.updated",
        entity_type="project",
        entity_id=entity(programme, loaded),
        before=before,
        after={**snapshot(loaded), "source": "import"},
    )
