"""The task list: filters, Chinese search, sorting, paging, every unit seeing only its own tasks,
office-only writes with field errors in Chinese, and optimistic versioning with If-Match."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.task.repository import search_condition
from shared.models import AuditLog, Domain, Role, Task, TaskClass, TaskStatus, TimelineEntry
from tests.reform_tasks.conftest import Scene

TASKS = "/api/tasks/v1/tasks"


async def _numbers(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str | int
) -> list[int]:
    response = await client.get(TASKS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [t["number"] for t in response.json()["items"]]


def _new_task(number: int = 3, **changes: Any) -> dict[str, Any]:
    return {
        "number": number,
        "domain": "shangshi",
        "task_class": "B",
        "title": "新任务",
        "goal": "目标描述",
        "lead_unit": "keji",
        "responsible_units": ["hexiqu"],
        "deadline": "2026-12-31",
        "deadline_text": "2026年12月底前",
        "milestones": [
            {"planned_date": "2026-06-30", "title": "制定方案"},
            {"planned_date": "2026-12-31", "title": "完成任务"},
        ],
        **changes,
    }


async def test_office_filters_sorts_and_pages_the_list(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    await scene.factory.task(
        scene.programme,
        12,
        scene.units["keji"],
        [scene.units["hexiqu"]],
        domain=await session.get(Domain, scene.tasks[1].domain_id),
        task_class=TaskClass.C,
        title="科技成果转化",
        milestones=[(date(2026, 5, 31), "出台办法")],
    )
    office = scene.headers("office")
    assert await _numbers(tasks_client, office) == [1, 2, 12]
    assert await _numbers(tasks_client, office, domain="nashui") == [2]
    assert await _numbers(tasks_client, office, task_class="C") == [12]
    assert await _numbers(tasks_client, office, lead_unit="shichang") == [1]
    assert await _numbers(tasks_client, office, unit="hexiqu") == [2, 12]  # lead or responsible
    assert await _numbers(tasks_client, office, unit="keji") == [12]
    assert await _numbers(tasks_client, office, status="closed_out") == []
    assert await _numbers(tasks_client, office, sort="-number") == [12, 2, 1]
    assert await _numbers(tasks_client, office, sort="deadline") == [12, 1, 2]
    assert await _numbers(tasks_client, office, sort="-deadline") == [2, 1, 12]
    page = await tasks_client.get(TASKS, params={"limit": 2, "offset": 1}, headers=office)
    assert page.json()["total"] == 3
    assert [t["number"] for t in page.json()["items"]] == [2, 12]
    item = page.json()["items"][0]
    assert item["domain"] == {"code": "nashui", "name": "纳税"}
    assert item["lead_unit"] == {
        "code": "shuiwu",
        "name": "国家税务总局云岭市税务局",
        "short_name": "市税务局",
    }
    assert [m["ordinal"] for m in item["milestones"]] == [1, 2]
    assert item["version"] == 1
    bad = await tasks_client.get(TASKS, params={"sort": "title"}, headers=office)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_search_finds_chinese_text_and_task_numbers(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    await scene.factory.task(
        scene.programme, 12, scene.units["keji"], [scene.units["hexiqu"]], title="科技成果转化"
    )
    office = scene.headers("office")
    assert await _numbers(tasks_client, office, q="企业开办") == [1]
    assert await _numbers(tasks_client, office, q="办税") == [2]
    assert await _numbers(tasks_client, office, q="12") == [12]  # the number, not a substring
    assert await _numbers(tasks_client, office, q="深圳") == [1, 2, 12]  # the benchmark
    assert await _numbers(tasks_client, office, q="任务2的目标") == [2]  # the goal
    assert await _numbers(tasks_client, office, q="企业 网办") == [1]  # every term
    assert await _numbers(tasks_client, office, q="企业 办税") == []
    assert await _numbers(tasks_client, office, q="不存在的内容%") == []
    assert await _numbers(tasks_client, office, q="_") == []  # LIKE wildcards are literal
    # A unit's search stays inside its own tasks.
    assert await _numbers(tasks_client, scene.headers("shichang"), q="深圳") == [1]


async def test_search_is_answered_by_the_trigram_index(session: AsyncSession, scene: Scene) -> None:
    """The ILIKE runs on exactly the indexed expression, also in a generic prepared plan."""
    condition = search_condition("企业开办")
    assert condition is not None
    dialect = (await session.connection()).dialect
    compiled = select(Task.id).where(condition).compile(dialect=dialect)
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    await session.execute(text(f"PREPARE task_search AS {compiled}"))
    plan = "\n".join(
        (await session.execute(text("EXPLAIN EXECUTE task_search('%企业开办%')"))).scalars()
    )
    await session.execute(text("DEALLOCATE task_search"))
    assert "ix_tasks_search_trgm" in plan, plan


async def test_unit_sees_only_tasks_it_leads_or_shares(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    assert await _numbers(tasks_client, scene.headers("shichang")) == [1]
    assert await _numbers(tasks_client, scene.headers("yunzhongqu", Role.unit)) == [1]
    assert await _numbers(tasks_client, scene.headers("hexiqu", Role.unit)) == [2]
    assert await _numbers(tasks_client, scene.headers("keji", Role.unit)) == []
    # Filters narrow the scope, never widen it.
    assert await _numbers(tasks_client, scene.headers("keji", Role.unit), unit="hexiqu") == []
    assert await _numbers(tasks_client, scene.headers("viewer")) == [1, 2]
    # Another unit's task looks exactly like a task that does not exist.
    other = await tasks_client.get(f"{TASKS}/2", headers=scene.headers("shichang"))
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    missing = await tasks_client.get(f"{TASKS}/99", headers=scene.headers("office"))
    assert missing.status_code == 404
    assert other.json()["detail"] == "任务 2 不存在或无权查看"
    own = await tasks_client.get(f"{TASKS}/1", headers=scene.headers("zhengwu", Role.unit))
    assert own.status_code == 200
    assert own.json()["lead_unit"]["code"] == "shichang"
    assert own.headers["etag"] == '"1"'


async def test_only_the_office_writes_tasks(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    body = _new_task()
    for who, role in (("shichang", Role.lead_unit), ("keji", Role.unit), ("viewer", None)):
        created = await tasks_client.post(TASKS, json=body, headers=scene.headers(who, role))
        assert created.status_code == 403, who
        changed = await tasks_client.patch(
            f"{TASKS}/1",
            json={"title": "越权修改"},
            headers={**scene.headers(who, role), "If-Match": '"1"'},
        )
        assert changed.status_code == 403, who
    assert await session.scalar(select(func.count()).select_from(Task)) == 2
    created = await tasks_client.post(TASKS, json=body, headers=scene.headers("staff"))
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["number"] == 3
    assert task["deadline_text"] == "2026年12月底前"
    assert [(m["ordinal"], m["planned_date"], m["baseline_date"]) for m in task["milestones"]] == [
        (1, "2026-06-30", "2026-06-30"),
        (2, "2026-12-31", "2026-12-31"),
    ]
    assert created.headers["etag"] == '"1"'
    audit = await session.scalar(
        select(AuditLog).where(AuditLog.action == "task.created", AuditLog.entity_id == "2026/3")
    )
    assert audit is not None
    assert audit.actor_username == "staff"
    entry = await session.scalar(select(TimelineEntry).where(TimelineEntry.kind == "task.created"))
    assert entry is not None
    assert "新任务" in entry.summary
    # The new task's units see it.
    assert await _numbers(tasks_client, scene.headers("keji", Role.unit)) == [3]
    duplicate = await tasks_client.post(TASKS, json=body, headers=scene.headers("office"))
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "序号 3 的任务已存在"


async def test_create_lists_every_field_error_in_chinese(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    body = _new_task(
        9,
        domain="nope",
        lead_unit="keji",
        responsible_units=["nope", "keji"],
        deadline="2026-06-30",
        milestones=[
            {"planned_date": "2026-07-31", "title": "晚于完成时限"},
            {"planned_date": "2025-12-31", "title": "早于改革工程"},
        ],
    )
    response = await tasks_client.post(TASKS, json=body, headers=scene.headers("office"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = [(e["loc"], e["msg"]) for e in response.json()["errors"]]
    assert errors == [
        (["body", "domain"], "未知领域“nope”"),
        (["body", "responsible_units", 0], "未知单位“nope”"),
        (["body", "responsible_units", 1], "牵头单位不能同时是责任单位"),
        (["body", "milestones", 0, "planned_date"], "时间节点须在改革工程年度内且不晚于完成时限"),
        (["body", "milestones", 1, "planned_date"], "时间节点须在改革工程年度内且不晚于完成时限"),
        (["body", "milestones"], "时间节点须按日期先后排列"),
    ]
    unknown_lead = await tasks_client.post(
        TASKS, json=_new_task(9, lead_unit="ghost"), headers=scene.headers("office")
    )
    assert unknown_lead.status_code == 422
    assert unknown_lead.json()["errors"][0] == {
        "loc": ["body", "lead_unit"],
        "msg": "未知单位“ghost”",
        "type": "unknown_unit",
    }
    gap = _new_task(9)
    gap["milestones"][1]["ordinal"] = 3
    gapped = await tasks_client.post(TASKS, json=gap, headers=scene.headers("office"))
    assert gapped.status_code == 422
    assert gapped.json()["errors"][0]["loc"] == ["body", "milestones", 1, "ordinal"]
    no_milestones = await tasks_client.post(
        TASKS, json=_new_task(9, milestones=[]), headers=scene.headers("office")
    )
    assert no_milestones.status_code == 422
    assert await session.scalar(select(func.count()).select_from(Task)) == 2


async def test_patch_needs_the_current_version(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    url = f"{TASKS}/1"
    missing = await tasks_client.patch(url, json={"title": "改名"}, headers=office)
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "If-Match" in missing.json()["detail"]
    first = await tasks_client.patch(
        url,
        json={"title": "企业开办一网通办", "responsible_units": ["zhengwu"]},
        headers={**office, "If-Match": '"1"'},
    )
    assert first.status_code == 200, first.text
    assert first.headers["etag"] == '"2"'
    assert [u["code"] for u in first.json()["responsible_units"]] == ["zhengwu"]
    stale = await tasks_client.patch(
        url, json={"title": "又改名"}, headers={**office, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    session.expire_all()
    task = await session.scalar(select(Task).where(Task.number == 1))
    assert task is not None
    assert (task.title, task.version) == ("企业开办一网通办", 2)
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "task.updated"))
    assert audit is not None
    assert audit.before is not None
    assert audit.after is not None
    assert (audit.before["title"], audit.after["title"]) == ("企业开办全程网办", "企业开办一网通办")
    assert audit.after["responsible_units"] == ["zhengwu"]
    timeline = (await session.scalars(select(TimelineEntry.summary))).all()
    assert "改革办修改了任务：任务、责任单位" in timeline
    # The unit dropped from the task no longer sees it.
    assert await _numbers(tasks_client, scene.headers("yunzhongqu", Role.unit)) == []


async def test_patch_validates_and_keeps_the_deadline_text_true(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = {**scene.headers("office"), "If-Match": '"1"'}
    url = f"{TASKS}/1"
    early = await tasks_client.patch(url, json={"deadline": "2026-05-31"}, headers=office)
    assert early.status_code == 422
    assert early.json()["errors"][0]["loc"] == ["body", "deadline"]
    lead_too = await tasks_client.patch(url, json={"lead_unit": "zhengwu"}, headers=office)
    assert lead_too.status_code == 422
    assert lead_too.json()["errors"][0]["msg"] == "牵头单位不能同时是责任单位"
    await session.execute(
        update(Task).where(Task.number == 1).values(deadline_text="2026年6月底前")
    )
    moved = await tasks_client.patch(url, json={"deadline": "2026-09-30"}, headers=office)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["deadline"], moved.json()["deadline_text"]) == ("2026-09-30", "")
    nothing = await tasks_client.patch(
        url, json={"deadline": "2026-09-30"}, headers={**office, "If-Match": '"2"'}
    )
    assert nothing.status_code == 200
    assert nothing.headers["etag"] == '"2"'  # no change, no new version


async def test_closed_out_task_cannot_be_changed(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    await session.execute(
        update(Task)
        .where(Task.number == 2)
        .values(status=TaskStatus.closed_out, closed_out_on=date(2026, 9, 30))
    )
    response = await tasks_client.patch(
        f"{TASKS}/2",
        json={"title": "销号后修改"},
        headers={**scene.headers("office"), "If-Match": '"1"'},
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "任务 2 已销号，不能再修改"
