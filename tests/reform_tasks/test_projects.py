"""Key projects (重点项目, seed 003 items 17–21): the office's register with stages that only move
forward and nodes done in order; the seven-aspect quality evaluation that admits or refuses a
proposed project; a major project's 五个一 (leader, team, plan, problem list closed item by
item); weekly reports by the lead unit, once per week, flagged and reminded when missing; the
office's weekly digest; the register as a spreadsheet. A unit reads only the projects of its
district or that it leads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.project import rules
from shared import clock
from shared.demo.loader import load
from shared.demo.projects import load_projects
from shared.models import PROJECT_STAGE_ORDER, AuditLog, Programme, Role, Unit, UnitMessage
from tests.reform_tasks.conftest import Scene, stored_files

API = "/api/tasks/v1/projects"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4 plan"
SCORES = {
    "investment_scale": 90,
    "industry_category": 80,
    "owner_strength": 80,
    "preliminary_procedures": 70,
    "overall_benefit": 80,
    "technology_level": 60,
    "resource_use": 70,
}


def at(day: date, hour: int = 10) -> None:
    """Freeze the clock at `hour` o'clock in Shanghai on `day`."""
    clock.freeze(datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC))


@pytest.fixture
def frozen(files_dir: Path) -> Iterator[None]:
    at(date(2026, 9, 17))  # a Thursday of ISO week 2026-W38
    yield
    clock.freeze(None)


async def _register(
    client: httpx.AsyncClient, scene: Scene, code: str = "XM-001", **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        API,
        json={
            "code": code,
            "name": "云中新能源电池产业园",
            "level": "major_industrial",
            "district": "yunzhongqu",
            "lead_unit": "shichang",
            "owner": "云岭新能源有限公司",
            "investment": "125000.50",
            "industry": "新能源",
            "stage": "signed",
            "status": "admitted",
            "nodes": [
                {"name": "完成土地摘牌", "planned_on": "2026-06-30"},
                {"name": "主体开工", "planned_on": "2026-10-31"},
            ],
            **overrides,
        },
        headers=scene.headers("office"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _audit(session: AsyncSession, action: str) -> list[AuditLog]:
    return list((await session.scalars(select(AuditLog).where(AuditLog.action == action))).all())


async def test_the_office_registers_a_project_its_district_and_lead_unit_read_it(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    project = await _register(tasks_client, scene)
    assert project["district_name"] == "云中区人民政府"
    assert project["investment"] == "125000.50"
    assert [n["ordinal"] for n in project["nodes"]] == [1, 2]
    assert project["nodes"][0]["late"] is True  # planned 2026-06-30, not done
    for reader in ("office", "viewer", "yunzhongqu", "shichang"):
        role = Role.unit if reader == "yunzhongqu" else None
        got = await tasks_client.get(f"{API}/{project['id']}", headers=scene.headers(reader, role))
        assert got.status_code == 200, reader
        listed = await tasks_client.get(API, headers=scene.headers(reader, role))
        assert [p["code"] for p in listed.json()["items"]] == ["XM-001"], reader


async def test_another_unit_cannot_read_or_write_a_project(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    project = await _register(tasks_client, scene)
    keji = scene.headers("keji", Role.unit)
    base = f"{API}/{project['id']}"
    assert (await tasks_client.get(base, headers=keji)).status_code == 404
    assert (await tasks_client.get(API, headers=keji)).json()["items"] == []
    assert (await tasks_client.get(f"{base}/evaluation", headers=keji)).status_code == 404
    assert (await tasks_client.get(f"{base}/weekly-reports", headers=keji)).status_code == 404
    assert (await tasks_client.get(f"{base}/problem-list", headers=keji)).status_code == 404
    raised = await tasks_client.post(
        f"{base}/problem-list", json={"problem": "越权登记"}, headers=keji
    )
    assert raised.status_code == 404
    node = project["nodes"][0]["id"]
    done = await tasks_client.post(f"{base}/nodes/{node}/done", json={}, headers=keji)
    assert done.status_code == 404
    filed = await tasks_client.post(
        f"{base}/weekly-reports", data={"summary": "越权周报"}, headers=keji
    )
    assert filed.status_code == 404
    patched = await tasks_client.patch(base, json={"name": "改名"}, headers=keji)
    assert patched.status_code == 403
    export = await tasks_client.get(f"{API}/export", headers=keji)
    sheet = load_workbook(BytesIO(export.content)).active
    assert sheet is not None
    assert sheet.max_row == 1


async def test_the_list_filters_by_level_district_and_stage(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    await _register(tasks_client, scene)
    await _register(
        tasks_client,
        scene,
        "XM-002",
        level="municipal",
        district="hexiqu",
        lead_unit="shuiwu",
        stage="building",
    )
    office = scene.headers("office")

    async def codes(**params: str) -> list[str]:
        response = await tasks_client.get(API, params=params, headers=office)
        return [p["code"] for p in response.json()["items"]]

    assert await codes(level="municipal") == ["XM-002"]
    assert await codes(district="yunzhongqu") == ["XM-001"]
    assert await codes(stage="building") == ["XM-002"]
    assert await codes() == ["XM-001", "XM-002"]


async def test_a_stage_moves_forward_dated_and_audited_never_back(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    project = await _register(tasks_client, scene)
    office = scene.headers("office")
    moved = await tasks_client.post(
        f"{API}/{project['id']}/stage", json={"stage": "started"}, headers=office
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "started"
    assert moved.json()["stage_changed_on"] == moved.json()["started_on"] == "2026-09-17"
    earlier = await tasks_client.post(
        f"{API}/{project['id']}/stage",
        json={"stage": "building", "on": "2026-09-01"},
        headers=office,
    )
    assert earlier.status_code == 422  # before the last change (2026-09-17)
    back = await tasks_client.post(
        f"{API}/{project['id']}/stage", json={"stage": "preparing"}, headers=office
    )
    assert back.status_code == 409
    assert "不能从“开工”退回“前期”" in back.json()["detail"]
    [row] = await _audit(session, "project.stage_changed")
    assert row.before == {"stage": "signed", "stage_changed_on": "2026-09-17"}
    assert row.after == {"stage": "started", "stage_changed_on": "2026-09-17"}
    unit = await tasks_client.post(
        f"{API}/{project['id']}/stage",
        json={"stage": "building"},
        headers=scene.headers("shichang"),
    )
    assert unit.status_code == 403


@given(
    st.sampled_from(list(PROJECT_STAGE_ORDER)),
    st.sampled_from(list(PROJECT_STAGE_ORDER)),
)
def test_the_stage_order_is_the_seeds(current: Any, new: Any) -> None:
    order = ["negotiating", "signed", "preparing", "started", "building", "completed"]
    assert rules.is_forward(current, new) == (order.index(new) > order.index(current))


async def test_nodes_are_done_in_order_with_their_actual_date(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    project = await _register(tasks_client, scene)
    first, second = (n["id"] for n in project["nodes"])
    lead = scene.headers("shichang")
    base = f"{API}/{project['id']}/nodes"
    early = await tasks_client.post(f"{base}/{second}/done", json={}, headers=lead)
    assert early.status_code == 409
    district = await tasks_client.post(
        f"{base}/{first}/done", json={}, headers=scene.headers("yunzhongqu", Role.unit)
    )
    assert district.status_code == 403
    done = await tasks_client.post(
        f"{base}/{first}/done", json={"actual_on": "2026-07-03"}, headers=lead
    )
    assert done.status_code == 200, done.text
    assert done.json()["nodes"][0] | {"id": 0} == {
        "id": 0,
        "ordinal": 1,
        "name": "完成土地摘牌",
        "planned_on": "2026-06-30",
        "actual_on": "2026-07-03",
        "done": True,
        "late": True,
    }
    again = await tasks_client.post(f"{base}/{first}/done", json={}, headers=lead)
    assert again.status_code == 409
    future = await tasks_client.post(
        f"{base}/{second}/done", json={"actual_on": "2026-12-01"}, headers=lead
    )
    assert future.status_code == 422
    added = await tasks_client.post(
        base, json={"name": "竣工投产", "planned_on": "2027-06-30"}, headers=scene.headers("office")
    )
    assert added.status_code == 201
    assert [n["name"] for n in added.json()["nodes"]][-1] == "竣工投产"
    out_of_order = await tasks_client.post(
        base, json={"name": "补充节点", "planned_on": "2026-01-01"}, headers=scene.headers("office")
    )
    assert out_of_order.status_code == 422


async def test_the_evaluation_admits_a_proposed_project_at_the_threshold(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    project = await _register(tasks_client, scene, status="proposed")
    office = scene.headers("office")
    url = f"{API}/{project['id']}/evaluation"
    empty = (await tasks_client.get(url, headers=office)).json()
    assert empty["evaluated"] is False
    assert sum(empty["weights"].values()) == 100
    assert empty["threshold"] == "70"
    evaluated = await tasks_client.put(url, json={"scores": SCORES}, headers=office)
    assert evaluated.status_code == 200, evaluated.text
    # 90×20 + 80×15 + 80×15 + 70×15 + 80×15 + 60×10 + 70×10 = 7750 → 77.50
    assert (evaluated.json()["total"], evaluated.json()["admitted"]) == ("77.50", True)
    assert evaluated.json()["status"] == "admitted"
    low = {key: 50 for key in SCORES}
    refused = await tasks_client.put(
        url, json={"scores": low, "comment": "前期手续不全"}, headers=office
    )
    assert (refused.json()["total"], refused.json()["status"]) == ("50.00", "refused")
    got = await tasks_client.get(f"{API}/{project['id']}", headers=office)
    assert got.json()["status"] == "refused"
    rows = await _audit(session, "project.evaluated")
    assert [r.after["status"] for r in rows if r.after] == ["admitted", "refused"]
    unit = await tasks_client.put(url, json={"scores": SCORES}, headers=scene.headers("shichang"))
    assert unit.status_code == 403
    too_high = await tasks_client.put(
        url, json={"scores": SCORES | {"resource_use": 101}}, headers=office
    )
    assert too_high.status_code == 422


@given(st.lists(st.integers(min_value=0, max_value=100), min_size=7, max_size=7))
def test_the_weighted_total_lies_between_the_lowest_and_highest_score(values: list[int]) -> None:
    scores = {key: Decimal(v) for key, v in zip(rules.ASPECTS, values, strict=True)}
    total = rules.weighted_total(scores, rules.DEFAULT_WEIGHTS)
    assert min(values) <= total <= max(values)
    if len(set(values)) == 1:
        assert total == values[0]


async def test_the_programmes_settings_may_change_the_weights_and_threshold(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    office = scene.headers("office")
    url = f"{API}/rules"
    defaults = await tasks_client.get(url, headers=scene.headers("shichang"))
    assert defaults.json() == {
        "weights": rules.DEFAULT_WEIGHTS,
        "threshold": "70",
        "due_weekday": 5,
    }
    weights = dict.fromkeys(rules.ASPECTS, 0) | {"resource_use": 100}
    body = {"weights": weights, "threshold": 60, "due_weekday": 4}
    saved = await tasks_client.put(url, json=body, headers=office)
    assert saved.status_code == 200, saved.text
    assert len(await _audit(session, "programme.project_rules_updated")) == 1
    project = await _register(tasks_client, scene, status="proposed")
    evaluated = await tasks_client.put(
        f"{API}/{project['id']}/evaluation", json={"scores": SCORES}, headers=office
    )
    assert (evaluated.json()["total"], evaluated.json()["admitted"]) == ("70.00", True)
    assert evaluated.json()["threshold"] == "60"
    # Thursday is now the due day: this week's report of the (now admitted) project is missing.
    listed = (await tasks_client.get(API, headers=office)).json()["items"]
    assert [p["weekly_report_missing"] for p in listed] == [True]
    not_100 = await tasks_client.put(
        url, json={"weights": dict.fromkeys(rules.ASPECTS, 10)}, headers=office
    )
    assert not_100.status_code == 422
    unit = await tasks_client.put(url, json=body, headers=scene.headers("shichang"))
    assert unit.status_code == 403


async def test_the_five_ones_leader_team_plan_and_problem_list(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
    frozen: None,
    files_dir: Path,
) -> None:
    project = await _register(tasks_client, scene)
    base = f"{API}/{project['id']}"
    office, lead = scene.headers("office"), scene.headers("shichang")
    patched = await tasks_client.patch(
        base,
        json={"leader_name": "张明", "leader_title": "副市长", "team_members": "发改委：李华"},
        headers=office,
    )
    assert (patched.json()["leader_name"], patched.json()["leader_title"]) == ("张明", "副市长")
    plan = await tasks_client.post(
        f"{base}/plan", files=[("file", ("建设方案.pdf", PDF))], headers=lead
    )
    assert plan.status_code == 201, plan.text
    assert len(stored_files(files_dir)) == 1
    got = await tasks_client.get(f"{base}/plan", headers=scene.headers("yunzhongqu", Role.unit))
    assert got.status_code == 200
    assert got.content == PDF
    raised = await tasks_client.post(
        f"{base}/problem-list", json={"problem": "施工用电未接入"}, headers=lead
    )
    assert raised.status_code == 201
    item = raised.json()["id"]
    district = await tasks_client.post(
        f"{base}/problem-list/{item}/close",
        json={"note": "已接入"},
        headers=scene.headers("yunzhongqu", Role.unit),
    )
    assert district.status_code == 403
    listed = await tasks_client.get(base, headers=office)
    assert listed.json()["open_problems"] == 1
    closed = await tasks_client.post(
        f"{base}/problem-list/{item}/close", json={"note": "供电公司已接入临时用电"}, headers=office
    )
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["closing_note"]) == (
        "closed",
        "供电公司已接入临时用电",
    )
    again = await tasks_client.post(
        f"{base}/problem-list/{item}/close", json={"note": "再次销号"}, headers=office
    )
    assert again.status_code == 409
    assert len(await _audit(session, "project.problem_closed")) == 1


async def _file(
    client: httpx.AsyncClient, scene: Scene, project: dict[str, Any], **data: str
) -> httpx.Response:
    node = project["nodes"][1]["id"]
    return await client.post(
        f"{API}/{project['id']}/weekly-reports",
        data={
            "node_progress": f'[{{"node_id": {node}, "progress": "基础施工完成60%"}}]',
            "summary": "本周推进顺利",
            "problems": "施工用电未接入",
            "solutions": "协调供电公司本月接入",
            **data,
        },
        files=[("photos", ("现场.png", PNG))],
        headers=scene.headers("shichang"),
    )


async def test_the_lead_unit_files_one_weekly_report_a_week_with_photos(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    project = await _register(tasks_client, scene)
    filed = await _file(tasks_client, scene, project)
    assert filed.status_code == 201, filed.text
    report = filed.json()
    assert report["week"] == "2026-W38"
    assert report["node_progress"][0]["progress"] == "基础施工完成60%"
    photo = report["photos"][0]
    url = f"{API}/{project['id']}/weekly-reports/{report['id']}/photos/{photo['id']}"
    download = await tasks_client.get(url, headers=scene.headers("office"))
    assert download.status_code == 200
    assert download.content == PNG
    assert (
        await tasks_client.get(url, headers=scene.headers("keji", Role.unit))
    ).status_code == 404
    second = await _file(tasks_client, scene, project)
    assert second.status_code == 409
    assert "每周只报一次" in second.json()["detail"]
    earlier = await _file(tasks_client, scene, project, week="2026-W37")
    assert earlier.status_code == 201
    future = await _file(tasks_client, scene, project, week="2026-W40")
    assert future.status_code == 422
    listed = await tasks_client.get(
        f"{API}/{project['id']}/weekly-reports", headers=scene.headers("yunzhongqu", Role.unit)
    )
    assert [r["week"] for r in listed.json()["items"]] == ["2026-W38", "2026-W37"]


async def test_only_the_lead_unit_files_and_only_photos(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None, files_dir: Path
) -> None:
    project = await _register(tasks_client, scene)
    base = f"{API}/{project['id']}/weekly-reports"
    for who, role in (("yunzhongqu", Role.unit), ("office", None)):
        refused = await tasks_client.post(
            base, data={"summary": "代报"}, headers=scene.headers(who, role)
        )
        assert refused.status_code == 403, who
    pdf = await tasks_client.post(
        base,
        data={"summary": "附件"},
        files=[("photos", ("a.pdf", PDF))],
        headers=scene.headers("shichang"),
    )
    assert pdf.status_code == 422
    assert stored_files(files_dir) == []
    foreign = await tasks_client.post(
        base,
        data={"node_progress": '[{"node_id": 999999, "progress": "x"}]'},
        headers=scene.headers("shichang"),
    )
    assert foreign.status_code == 422
    garbage = await tasks_client.post(
        base, data={"node_progress": "not json"}, headers=scene.headers("shichang")
    )
    assert garbage.status_code == 422


@given(
    st.booleans(),
    st.booleans(),
    st.dates(min_value=date(2026, 1, 5), max_value=date(2026, 12, 27)),
    st.integers(min_value=1, max_value=7),
)
def test_a_report_is_missing_only_when_required_unfiled_and_due(
    required: bool, reported: bool, today: date, due_weekday: int
) -> None:
    week = rules.iso_week(today)
    missing = rules.report_missing(
        required=required, reported=reported, week=week, today=today, due_weekday=due_weekday
    )
    assert missing == (required and not reported and today.isoweekday() >= due_weekday)


async def test_a_missing_report_is_flagged_from_friday_and_reminded_once(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    project = await _register(tasks_client, scene)
    await _register(tasks_client, scene, "XM-002", level="municipal")  # reports no week
    office = scene.headers("office")

    async def flags() -> dict[str, bool]:
        listed = await tasks_client.get(API, headers=office)
        return {p["code"]: p["weekly_report_missing"] for p in listed.json()["items"]}

    assert await flags() == {"XM-001": False, "XM-002": False}  # Thursday: not due yet
    at(date(2026, 9, 18))  # Friday
    assert await flags() == {"XM-001": True, "XM-002": False}
    for _ in range(2):
        run = await tasks_client.post(
            "/api/tasks/v1/reminders/run", params={"as_of": "2026-09-18"}, headers=office
        )
        assert run.status_code == 200, run.text
    sent = (
        await session.scalars(
            select(UnitMessage).where(UnitMessage.dedupe_key.like("project_weekly_report%"))
        )
    ).all()
    assert [(m.unit_id, m.dedupe_key) for m in sent] == [
        (scene.units["shichang"].id, f"project_weekly_report_missing:{project['id']}:2026-W38")
    ]
    filed = await _file(tasks_client, scene, project)
    assert filed.status_code == 201
    assert await flags() == {"XM-001": False, "XM-002": False}


async def test_the_weekly_digest_lists_reports_missing_ones_and_open_problems(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    reported = await _register(tasks_client, scene)
    silent = await _register(
        tasks_client, scene, "XM-002", name="河西智能制造基地", district="hexiqu"
    )
    await _register(tasks_client, scene, "XM-003", status="proposed")  # not on the list
    assert (await _file(tasks_client, scene, reported)).status_code == 201
    await tasks_client.post(
        f"{API}/{silent['id']}/problem-list",
        json={"problem": "环评批复未下达"},
        headers=scene.headers("office"),
    )
    at(date(2026, 9, 19))
    digest = await tasks_client.get(
        f"{API}/weekly-digest", params={"week": "2026-W38"}, headers=scene.headers("viewer")
    )
    assert digest.status_code == 200, digest.text
    body = digest.json()
    assert (body["week"], body["due_on"], body["missing"]) == ("2026-W38", "2026-09-18", 1)
    rows = {r["code"]: r for r in body["projects"]}
    assert set(rows) == {"XM-001", "XM-002"}
    assert rows["XM-001"]["report"]["solutions"] == "协调供电公司本月接入"
    assert (rows["XM-002"]["missing"], rows["XM-002"]["report"]) == (True, None)
    assert rows["XM-002"]["open_problems"] == ["环评批复未下达"]
    sheet_response = await tasks_client.get(
        f"{API}/weekly-digest/xlsx", params={"week": "2026-W38"}, headers=scene.headers("office")
    )
    sheet = load_workbook(BytesIO(sheet_response.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(v[0], v[6]) for v in values] == [("XM-001", "已报"), ("XM-002", "未报")]
    unit = await tasks_client.get(f"{API}/weekly-digest", headers=scene.headers("shichang"))
    assert unit.status_code == 403
    bad = await tasks_client.get(
        f"{API}/weekly-digest", params={"week": "2026-W60"}, headers=scene.headers("office")
    )
    assert bad.status_code == 422


async def _import(
    client: httpx.AsyncClient, scene: Scene, content: bytes, dry_run: bool = False
) -> httpx.Response:
    return await client.post(
        f"{API}/import",
        params={"dry_run": str(dry_run).lower()},
        files=[("file", ("projects.xlsx", content))],
        headers=scene.headers("office"),
    )


async def test_exporting_and_importing_the_register_changes_nothing(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    project = await _register(tasks_client, scene, owner='=HYPERLINK("x")')
    office = scene.headers("office")
    await tasks_client.post(
        f"{API}/{project['id']}/nodes/{project['nodes'][0]['id']}/done",
        json={"actual_on": "2026-07-03"},
        headers=office,
    )
    await _register(tasks_client, scene, "XM-002", level="provincial", district="hexiqu")
    exported = await tasks_client.get(f"{API}/export", headers=office)
    assert exported.status_code == 200
    before = (await tasks_client.get(API, headers=office)).json()["items"]
    audits = await session.scalar(select(func.count()).select_from(AuditLog))
    imported = await _import(tasks_client, scene, exported.content)
    assert imported.status_code == 200, imported.text
    assert imported.json() | {"dry_run": False} == {
        "dry_run": False,
        "created": [],
        "updated": [],
        "unchanged": 2,
    }
    after = (await tasks_client.get(API, headers=office)).json()["items"]
    assert after == before
    assert await session.scalar(select(func.count()).select_from(AuditLog)) == audits


async def test_an_import_creates_updates_and_refuses_a_stage_going_back(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    await _register(tasks_client, scene, stage="building")
    office = scene.headers("office")
    book = load_workbook(BytesIO((await tasks_client.get(f"{API}/export", headers=office)).content))
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "XM-009",
            "新增项目",
            "市重点",
            "hexiqu",
            "市税务局",
            "",
            "100",
            "",
            "洽谈",
            "申报",
            "",
            "",
            "",
            "",
            "",
            "2026-12-31 签约",
        ]
    )
    sheet["I2"] = "竣工投产"
    buffer = BytesIO()
    book.save(buffer)
    preview = await _import(tasks_client, scene, buffer.getvalue(), dry_run=True)
    assert preview.json() == {
        "dry_run": True,
        "created": ["XM-009"],
        "updated": ["XM-001"],
        "unchanged": 0,
    }
    assert len((await tasks_client.get(API, headers=office)).json()["items"]) == 1
    done = await _import(tasks_client, scene, buffer.getvalue())
    assert done.status_code == 200
    items = {p["code"]: p for p in (await tasks_client.get(API, headers=office)).json()["items"]}
    assert items["XM-001"]["stage"] == "completed"
    assert items["XM-009"]["nodes"][0]["name"] == "签约"
    sheet["I2"] = "前期"
    buffer = BytesIO()
    book.save(buffer)
    back = await _import(tasks_client, scene, buffer.getvalue())
    assert back.status_code == 422
    assert back.json()["errors"][0]["loc"] == ["重点项目", 2, "阶段"]


async def test_the_demo_has_projects_at_every_stage_with_a_missing_weekly_report(
    tasks_client: httpx.AsyncClient, session: AsyncSession, factory: Any
) -> None:
    at(date(2026, 11, 27))  # a Friday: this week's reports are due
    try:
        await load(session, password="pw-demo", as_of=date(2026, 11, 27))
        programme = await session.scalar(select(Programme).where(Programme.code == "2026"))
        assert programme is not None
        units = {u.code: u for u in (await session.scalars(select(Unit))).all()}
        assert await load_projects(session, programme, units, as_of=date(2026, 11, 27)) == 0
        listed = await tasks_client.get(
            API, params={"limit": 100}, headers=factory.headers("office", Role.office_admin, None)
        )
        items = listed.json()["items"]
        assert {p["stage"] for p in items} == {s.value for s in PROJECT_STAGE_ORDER}
        assert {p["status"] for p in items} == {"admitted", "proposed", "refused"}
        assert [p["code"] for p in items if p["weekly_report_missing"]] == [
            "ZD-2026-002",
            "ZD-2026-003",
        ]
    finally:
        clock.freeze(None)


async def test_the_office_removes_a_project_registered_in_error(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    project = await _register(tasks_client, scene)
    assert (await _file(tasks_client, scene, project)).status_code == 201
    url = f"{API}/{project['id']}"
    assert (await tasks_client.delete(url, headers=scene.headers("shichang"))).status_code == 403
    # Another record (a 观摩 round's project, say) refers to it: 409, nothing deleted.
    await session.execute(
        text("CREATE TABLE public.refers (project_id integer REFERENCES tasks.projects (id))")
    )
    await session.execute(text(f"INSERT INTO public.refers VALUES ({project['id']})"))
    referred = await tasks_client.delete(url, headers=scene.headers("office"))
    assert referred.status_code == 409
    assert "不能删除" in referred.json()["detail"]
    assert (await tasks_client.get(url, headers=scene.headers("office"))).status_code == 200
    await session.execute(text("DROP TABLE public.refers"))
    assert (await tasks_client.delete(url, headers=scene.headers("office"))).status_code == 204
    assert (await tasks_client.get(url, headers=scene.headers("office"))).status_code == 404
    [row] = await _audit(session, "project.deleted")
    assert row.before is not None
    assert row.before["code"] == "XM-001"
    huge = await tasks_client.get(f"{API}/99999999999", headers=scene.headers("office"))
    assert huge.status_code in (404, 422)


async def test_an_import_that_is_not_the_register_is_refused_whole(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    for content in (b"not a workbook", b"PK\x03\x04 broken zip"):
        refused = await _import(tasks_client, scene, content)
        assert refused.status_code == 422, content
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "任务"])
    buffer = BytesIO()
    book.save(buffer)
    other = await _import(tasks_client, scene, buffer.getvalue())
    assert other.status_code == 422
    assert "缺少列" in other.json()["detail"]
    deep = await tasks_client.post(
        f"{API}/{(await _register(tasks_client, scene))['id']}/weekly-reports",
        data={"node_progress": "[" * 20000},
        headers=scene.headers("shichang"),
    )
    assert deep.status_code == 422
