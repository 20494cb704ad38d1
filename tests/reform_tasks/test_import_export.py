"""Task list import (messy real files, all or nothing, exact sheet/row/column errors, dry run) and
export (the same layout; export → import changes nothing)."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from io import BytesIO
from urllib.parse import unquote

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.demo.loader import load
from shared.models import (
    AuditLog,
    Domain,
    Milestone,
    Programme,
    ProgressReport,
    Role,
    Task,
    TimelineEntry,
)
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1/tasks"
HEADER = ["序号", "领域", "任务", "类别", "对标", "牵头单位", "责任单位", "完成时限", "时间节点"]
Cells = list[object]


def _workbook(
    rows: list[Cells],
    *,
    header: list[str] = HEADER,
    merge_domain: tuple[int, int] | None = None,
    title: str | None = "云岭市2026年“一号改革工程”重点任务清单",
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "清单"
    if title:
        sheet.append([title])  # a title row above the header, merged across the table
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if merge_domain:
        sheet.merge_cells(
            start_row=merge_domain[0], start_column=2, end_row=merge_domain[1], end_column=2
        )
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _good_row(number: object, **changes: object) -> Cells:
    row = {
        "序号": number,
        "领域": "商事登记",
        "任务": f"任务{number}",
        "类别": "A",
        "对标": "",
        "牵头单位": "shichang",
        "责任单位": "zhengwu",
        "完成时限": "2026年6月底前",
        "时间节点": "6月底前：完成",
    } | changes
    return [row[h] for h in HEADER]


async def _import(
    client: httpx.AsyncClient, scene: Scene, content: bytes, *, dry_run: bool | None
) -> httpx.Response:
    return await client.post(
        f"{API}/import",
        params={} if dry_run is None else {"dry_run": str(dry_run).lower()},
        files={"file": ("清单.xlsx", content)},
        headers=scene.headers("office"),
    )


async def _count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


MESSY_ROWS: list[Cells] = [
    [
        3,
        "商事登记",
        "企业注销便利化",
        "A类",
        "深圳：简易注销20天",
        "市场监管局",  # an alias
        "云中区、市政务服务局\n河西区",
        "2026年6月底前",
        "3月底前：制定简易注销办法\n2026年6月30日：全面推行",
    ],
    [
        4,
        None,  # under the merged 领域 cell above
        "名称自主申报",
        "b",
        "",
        "云岭市市场监督管理局",  # the full name
        "zhengwu，keji",
        "2026年三季度",
        "5月底前：完善禁限用字库；9月30日前：上线",
    ],
    ["二、纳税（1项）"],  # a domain heading row, merged across the table in real files
    [
        5,
        None,
        "纳税信用修复",
        "C",
        "",
        "国家税务总局云岭市税务局",
        "河西区",
        "长期坚持",
        "1. 4月底前：梳理流程\n2. 12月31日前：全面推开",
    ],
]


async def test_messy_office_file_imports(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    content = _workbook(MESSY_ROWS, merge_domain=(3, 4))
    preview = await _import(tasks_client, scene, content, dry_run=None)  # dry run by default
    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        "dry_run": True,
        "created": [
            {"number": 3, "title": "企业注销便利化"},
            {"number": 4, "title": "名称自主申报"},
            {"number": 5, "title": "纳税信用修复"},
        ],
        "changed": [],
        "unchanged": 0,
        "errors": [],
    }
    assert await _count(session, Task) == 2  # the dry run wrote nothing
    assert await _count(session, AuditLog) == 0

    applied = await _import(tasks_client, scene, content, dry_run=False)
    assert applied.status_code == 200, applied.text
    assert applied.json()["dry_run"] is False
    office = scene.headers("office")
    three = (await tasks_client.get(f"{API}/3", headers=office)).json()
    assert three["domain"]["code"] == "shangshi"
    assert three["task_class"] == "A"
    assert three["benchmark"] == "深圳：简易注销20天"
    assert three["goal"] == "企业注销便利化"  # no 目标 column: the task's name
    assert three["lead_unit"]["code"] == "shichang"
    assert {u["code"] for u in three["responsible_units"]} == {"yunzhongqu", "zhengwu", "hexiqu"}
    assert (three["deadline"], three["deadline_text"]) == ("2026-06-30", "2026年6月底前")
    assert [
        (m["ordinal"], m["planned_date"], m["baseline_date"], m["title"])
        for m in three["milestones"]
    ] == [
        (1, "2026-03-31", "2026-03-31", "制定简易注销办法"),
        (2, "2026-06-30", "2026-06-30", "全面推行"),
    ]
    four = (await tasks_client.get(f"{API}/4", headers=office)).json()
    assert four["domain"]["code"] == "shangshi"  # the merged 领域 cell
    assert four["task_class"] == "B"
    assert {u["code"] for u in four["responsible_units"]} == {"zhengwu", "keji"}
    assert (four["deadline"], four["deadline_text"]) == ("2026-09-30", "2026年三季度")
    assert [m["planned_date"] for m in four["milestones"]] == ["2026-05-31", "2026-09-30"]
    five = (await tasks_client.get(f"{API}/5", headers=office)).json()
    assert five["domain"]["code"] == "nashui"  # from the heading row
    assert (five["deadline"], five["deadline_text"]) == ("2026-12-31", "长期坚持")
    assert five["task_class"] == "C"
    assert [m["title"] for m in five["milestones"]] == ["梳理流程", "全面推开"]
    assert await _count(session, Task) == 5
    actions = (await session.scalars(select(AuditLog.action))).all()
    assert sorted(actions) == ["task.imported"] * 3

    again = await _import(tasks_client, scene, content, dry_run=True)
    assert (again.json()["created"], again.json()["changed"], again.json()["unchanged"]) == (
        [],
        [],
        3,
    )


async def test_errors_name_sheet_row_and_column_and_nothing_is_written(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    content = _workbook(
        [
            _good_row(6),  # row 3
            _good_row(7, 牵头单位="市不存在局"),  # row 4
            _good_row(8, 类别="D类"),  # row 5
            _good_row(9, 完成时限="明年再说"),  # row 6
            _good_row(6, 任务="重复序号"),  # row 7
            _good_row(10, 责任单位="zhengwu、鬼单位", 时间节点="随便写写"),  # row 8
            _good_row(11, 时间节点="3月底前：太早\n2027年1月31日前：太晚"),  # row 9
        ]
    )
    tasks_before, audits_before = await _count(session, Task), await _count(session, AuditLog)
    for dry_run in (True, False):
        response = await _import(tasks_client, scene, content, dry_run=dry_run)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["detail"] == "共 7 处错误，未导入任何数据"
        assert [(e["loc"], e["msg"]) for e in body["errors"]] == [
            (["清单", 4, "牵头单位"], "未知单位“市不存在局”"),
            (["清单", 5, "类别"], "类别应为A/B/C：“D类”"),
            (["清单", 6, "完成时限"], "无法识别的日期“明年再说”"),
            (["清单", 7, "序号"], "序号重复：6（第 3 行已有）"),
            (["清单", 8, "责任单位"], "未知单位“鬼单位”"),
            (
                ["清单", 8, "时间节点"],
                "无法识别的时间节点“随便写写”（应为“3月底前：工作内容”，每行一个）",
            ),
            (
                ["清单", 9, "时间节点"],
                "时间节点须在改革工程年度内（2026年1月1日至2026年12月31日）：2027年1月31日",
            ),
        ]
    assert await _count(session, Task) == tasks_before  # all or nothing: 6 was fine, not written
    assert await _count(session, AuditLog) == audits_before


async def test_headers_are_found_by_their_labels_and_missing_columns_named(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    # Other labels offices use, a header without a title row, and a column order of its own.
    header = [
        "编号",
        "改革任务",
        "所属领域",
        "类别",
        "牵头部门",
        "配合单位",
        "完成时间",
        "节点安排",
    ]
    row = [
        21,
        "开办时间压缩",
        "商事登记",
        "A",
        "市市场监管局",
        "市政务服务局",
        "2026-06-30",
        "6月底前：完成",
    ]
    ok = await _import(
        tasks_client, scene, _workbook([row], header=header, title=None), dry_run=True
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["created"] == [{"number": 21, "title": "开办时间压缩"}]
    # No 领域 column: the domains head their tasks in rows of their own.
    no_domain = [h for h in HEADER if h != "领域"]
    rows: list[Cells] = [
        ["一、商事登记（1项）"],
        [r for h, r in zip(HEADER, _good_row(23), strict=True) if h != "领域"],
        ["（二）纳税"],
        [r for h, r in zip(HEADER, _good_row(24), strict=True) if h != "领域"],
    ]
    headed = await _import(tasks_client, scene, _workbook(rows, header=no_domain), dry_run=False)
    assert headed.status_code == 200, headed.text
    office = scene.headers("office")
    domains = [
        (await tasks_client.get(f"{API}/{n}", headers=office)).json()["domain"]["code"]
        for n in (23, 24)
    ]
    assert domains == ["shangshi", "nashui"]
    missing = await _import(
        tasks_client,
        scene,
        _workbook([[22, "商事登记", "任务"]], header=["序号", "领域", "任务"]),
        dry_run=True,
    )
    assert missing.status_code == 422
    assert [(e["loc"], e["msg"]) for e in missing.json()["errors"]][:2] == [
        (["清单", 2, "类别"], "缺少“类别”列"),
        (["清单", 2, "牵头单位"], "缺少“牵头单位”列"),
    ]


async def test_units_resolve_by_any_name_and_ambiguous_names_are_errors(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    scene.units["keji"].aliases = ["科技局", "市直部门"]
    scene.units["zhengwu"].aliases = ["市直部门"]
    await session.flush()
    content = _workbook(
        [
            _good_row(
                31,
                牵头单位="市科技局（牵头）",
                责任单位="各区县",  # every district
                完成时限=datetime(2026, 6, 30),  # a date cell
            ),
            _good_row(32, 牵头单位="科技局", 责任单位="市直部门"),
        ]
    )
    response = await _import(tasks_client, scene, content, dry_run=True)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "loc": ["清单", 4, "责任单位"],
            "msg": "“市直部门”对应多个单位（云岭市科学技术局、云岭市政务服务管理局），请写全称",
            "type": "unknown_unit",
        }
    ]
    fixed = _workbook(
        [
            _good_row(
                31, 牵头单位="市科技局（牵头）", 责任单位="各区县", 完成时限=datetime(2026, 6, 30)
            )
        ]
    )
    applied = await _import(tasks_client, scene, fixed, dry_run=False)
    assert applied.status_code == 200, applied.text
    task = (await tasks_client.get(f"{API}/31", headers=scene.headers("office"))).json()
    assert task["lead_unit"]["code"] == "keji"
    assert [u["code"] for u in task["responsible_units"]] == ["hexiqu", "yunzhongqu"]
    assert (task["deadline"], task["deadline_text"]) == ("2026-06-30", "")


async def test_reimport_updates_changed_fields_and_keeps_baselines(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    exported = await tasks_client.get(f"{API}/export", headers=office)
    book = load_workbook(BytesIO(exported.content))
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[2]]
    first = {h: c for h, c in zip(header, sheet[3], strict=True)}
    assert first["序号"].value == 1
    first["类别"].value = "B类"
    first["时间节点"].value = "2026年4月30日前：制定工作方案\n2026年6月30日前：系统上线运行"
    buffer = BytesIO()
    book.save(buffer)
    preview = await _import(tasks_client, scene, buffer.getvalue(), dry_run=True)
    assert preview.status_code == 200, preview.text
    assert preview.json()["changed"] == [
        {
            "number": 1,
            "title": "企业开办全程网办",
            "fields": {
                "task_class": ["A", "B"],
                "milestones": [
                    [["2026-03-31", "制定工作方案"], ["2026-06-30", "系统上线运行"]],
                    [["2026-04-30", "制定工作方案"], ["2026-06-30", "系统上线运行"]],
                ],
            },
            "columns": ["类别", "时间节点"],
        }
    ]
    assert preview.json()["unchanged"] == 1
    applied = await _import(tasks_client, scene, buffer.getvalue(), dry_run=False)
    assert applied.status_code == 200, applied.text
    task = (await tasks_client.get(f"{API}/1", headers=office)).json()
    assert task["task_class"] == "B"
    assert task["version"] == 2
    moved = task["milestones"][0]
    assert (moved["planned_date"], moved["baseline_date"]) == ("2026-04-30", "2026-03-31")
    summaries = (
        await session.scalars(
            select(TimelineEntry.summary).where(TimelineEntry.subject_id == scene.tasks[1].id)
        )
    ).all()
    assert (
        "导入任务清单将第 1 个时间节点由 2026年3月31日 调整为 2026年4月30日（基线日期不变）"
        in summaries
    )
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "task.reimported"))
    assert audit is not None
    assert audit.before is not None
    assert audit.after is not None
    assert (audit.before["task_class"], audit.after["task_class"]) == ("A", "B")


async def test_import_never_drops_a_milestone_with_progress_reports(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    milestone = await session.scalar(
        select(Milestone).where(Milestone.task_id == scene.tasks[2].id, Milestone.ordinal == 2)
    )
    assert milestone is not None
    session.add(
        ProgressReport(milestone_id=milestone.id, unit_id=scene.units["hexiqu"].id, content="进展")
    )
    await session.flush()
    row = _good_row(
        2,
        领域="纳税",
        任务="办税时间压缩",
        牵头单位="shuiwu",
        责任单位="hexiqu",
        完成时限="2026年9月30日",
        时间节点="4月30日前：出台实施细则",
    )
    response = await _import(tasks_client, scene, _workbook([row]), dry_run=False)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "loc": ["清单", 3, "时间节点"],
            "msg": "第 2 个时间节点已有进展报送、延期申请或督办记录，不能删除",
            "type": "has_reports",
        }
    ]
    assert await _count(session, Milestone) == 4


async def test_bad_files_are_4xx_problems_not_500(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    docx = BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    bomb = BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    broken = BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml at all")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet")
    no_header = _workbook([["a", "b"]], header=["甲", "乙"])
    cases = {
        "random bytes": (b"\x00\x01random bytes", "不是 xlsx 文件"),
        "docx renamed": (docx.getvalue(), "不是 Excel 工作簿"),
        "zip bomb": (bomb.getvalue(), "解压后超过 50 MB"),
        "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 .xls"),
        "broken parts": (broken.getvalue(), "文件已损坏"),
        "empty": (b"", "不是 xlsx 文件"),
        "no header": (no_header, "未找到任务清单"),
        "too large": (b"PK\x03\x04" + b"\x00" * (5 * 1024 * 1024), "5 MB"),
    }
    for name, (content, message) in cases.items():
        response = await _import(tasks_client, scene, content, dry_run=True)
        assert response.status_code in (400, 413, 422), (name, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), name
        assert message in response.json()["detail"], (name, response.json()["detail"])
    for who, role in (("shichang", Role.lead_unit), ("viewer", None)):
        refused = await tasks_client.post(
            f"{API}/import",
            files={"file": ("x.xlsx", _workbook([_good_row(30)]))},
            headers=scene.headers(who, role),
        )
        assert refused.status_code == 403, who


async def test_template_has_the_layout_examples_and_rules(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    template = await tasks_client.get(f"{API}/import-template", headers=scene.headers("office"))
    assert template.status_code == 200
    assert "filename*=UTF-8''" in template.headers["content-disposition"]
    book = load_workbook(BytesIO(template.content))
    assert book.sheetnames == ["任务清单", "填写说明"]
    sheet = book["任务清单"]
    assert [c.value for c in sheet[2]][:3] == ["序号", "领域", "任务"]
    examples = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]]
    assert [r[0] for r in examples] == ["示例1", "示例2"]
    rules = {r[0]: r[1] for r in book["填写说明"].iter_rows(min_row=2, values_only=True)}
    assert "长期坚持" in rules["完成时限"]
    # The examples are skipped on import; filled in with real numbers they import as they are.
    untouched = await _import(tasks_client, scene, template.content, dry_run=True)
    assert untouched.status_code == 422
    assert "示例" in untouched.json()["detail"]
    for offset, cells in enumerate(sheet.iter_rows(min_row=3, max_row=4)):
        cells[0].value = 40 + offset
    buffer = BytesIO()
    book.save(buffer)
    filled = await _import(tasks_client, scene, buffer.getvalue(), dry_run=True)
    assert filled.status_code == 200, filled.text
    assert [c["number"] for c in filled.json()["created"]] == [40, 41]


async def test_export_then_import_changes_nothing_for_api_made_tasks(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    created = await tasks_client.post(
        API,
        json={
            "number": 7,
            "domain": "nashui",
            "task_class": "C",
            "title": "=公式一样的标题",
            "benchmark": "  ",
            "goal": "目标：一、二；三",
            "measures": "第一行\n第二行",
            "lead_unit": "keji",
            "responsible_units": ["hexiqu", "yunzhongqu"],
            "deadline": "2026-11-15",
            "milestones": [{"planned_date": "2026-11-15", "title": "完成：验收"}],
        },
        headers=office,
    )
    assert created.status_code == 201, created.text
    await session.execute(
        update(Task).where(Task.number == 2).values(deadline_text="长期坚持")
    )  # a text that no longer fits the date is exported as the date
    exported = await tasks_client.get(f"{API}/export", headers=office)
    assert exported.status_code == 200
    disposition = exported.headers["content-disposition"]
    assert (
        unquote(disposition.split("filename*=UTF-8''")[1]) == "2026年一号改革工程重点任务清单.xlsx"
    )
    sheet = load_workbook(BytesIO(exported.content), data_only=True).active
    assert sheet is not None
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows[7][2] == "=公式一样的标题"  # text, not a formula
    assert rows[2][9] == "2026年9月30日"
    assert rows[1][10] == "2026年3月31日前：制定工作方案\n2026年6月30日前：系统上线运行"
    preview = await _import(tasks_client, scene, exported.content, dry_run=True)
    assert preview.status_code == 200, preview.text
    assert (preview.json()["created"], preview.json()["changed"], preview.json()["unchanged"]) == (
        [],
        [],
        3,
    )


async def test_unit_exports_only_its_own_tasks(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    for who, role, expected in (
        ("yunzhongqu", Role.unit, [1]),
        ("shuiwu", Role.lead_unit, [2]),
        ("keji", Role.unit, []),
        ("viewer", None, [1, 2]),
    ):
        response = await tasks_client.get(f"{API}/export", headers=scene.headers(who, role))
        assert response.status_code == 200, who
        sheet = load_workbook(BytesIO(response.content)).active
        assert sheet is not None
        numbers = [r[0] for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]]
        assert numbers == expected, who


async def test_demo_export_then_import_changes_nothing(
    tasks_client: httpx.AsyncClient, session: AsyncSession, scene: Scene
) -> None:
    # A programme of its own: the demo's 2026 replaces the scene's in this test.
    await session.execute(delete(Task))
    await session.execute(delete(Domain))
    await session.execute(delete(Programme))
    await load(session, password="x", as_of=date(2026, 11, 24))
    office = scene.headers("office")
    exported = await tasks_client.get(f"{API}/export", headers=office)
    assert exported.status_code == 200
    preview = await _import(tasks_client, scene, exported.content, dry_run=True)
    assert preview.status_code == 200, preview.text[:2000]
    body = preview.json()
    assert (body["created"], body["changed"], body["unchanged"]) == ([], [], 210)
    applied = await _import(tasks_client, scene, exported.content, dry_run=False)
    assert applied.status_code == 200
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action.like("task.%import%"))
        )
        == 0
    )


async def test_whole_lifecycle_from_import_to_task_close_out(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """Import → report → review → close-out, as the office and the units drive it."""
    from shared.models import OutboxEvent

    content = _workbook(
        [
            [
                10,
                "纳税",
                "非接触式办税",
                "A",
                "深圳：网上办税率95%",
                "市税务局",
                "河西区",
                "2026年5月底前",
                "4月底前：上线新功能\n5月31日前：网上办理率达标",
            ],
        ]
    )
    assert (await _import(tasks_client, scene, content, dry_run=False)).status_code == 200
    office = scene.headers("office")
    for ordinal, done in ((1, "2026-04-28"), (2, "2026-05-30")):
        report = await tasks_client.post(
            f"{API}/10/milestones/{ordinal}/reports",
            data={"content": "已完成", "claims_completion": "true", "completion_date": done},
            headers=scene.headers("hexiqu", Role.unit),
        )
        assert report.status_code == 201, report.text
        review = await tasks_client.post(
            f"/api/tasks/v1/reports/{report.json()['id']}/review",
            json={"decision": "accept"},
            headers=scene.headers("shuiwu"),
        )
        assert review.status_code == 200, review.text
        close = await tasks_client.post(f"{API}/10/milestones/{ordinal}/close-out", headers=office)
        assert close.status_code == 200, close.text
    closed = await tasks_client.post(f"{API}/10/close-out", headers=office)
    assert closed.json()["on_time"] is True
    task = (await tasks_client.get(f"{API}/10", headers=office)).json()
    assert task["status"] == "closed_out"
    types = (
        await session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.data["task_number"].as_integer() == 10)
        )
    ).all()
    assert sorted(types) == ["milestone.completed", "milestone.completed", "task.closed_out"]
