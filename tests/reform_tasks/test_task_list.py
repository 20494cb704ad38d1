"""The task list: filters, Chinese search, sorting, and every unit seeing only its own tasks."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import AuditLog, Role, Task, TimelineEntry
from tests.reform_tasks.conftest import Scene

TASKS = "/api/tasks/v1/tasks"


async def _numbers(
    client: httpx.AsyncClient, headers: dict[str, str], **params: object
) -> list[int]:
    response = await client.get(TASKS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [t["number"] for t in response.json()["items"]]


async def test_office_sees_all_and_filters(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    office = scene.headers("office")
    assert await _numbers(tasks_client, office) == [1, 2]
    assert await _numbers(tasks_client, office, domain="nashui") == [2]
    assert await _numbers(tasks_client, office, lead_unit="shichang") == [1]
    assert await _numbers(tasks_client, office, unit="hexiqu") == [2]
    assert await _numbers(tasks_client, office, sort="-number") == [2, 1]
    assert await _numbers(tasks_client, office, sort="-deadline") == [2, 1]
    page = await tasks_client.get(TASKS, params={"limit": 1, "offset": 1}, headers=office)
    assert page.json()["total"] == 2
    assert [t["number"] for t in page.json()["items"]] == [2]


async def test_search_finds_chinese_text_and_numbers(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    office = scene.headers("office")
    assert await _numbers(tasks_client, office, q="企业开办") == [1]
    assert await _numbers(tasks_client, office, q="办税") == [2]
    assert await _numbers(tasks_client, office, q="2") == [2]
    assert await _numbers(tasks_client, office, q="不存在的内容%") == []


async def test_unit_sees_only_tasks_it_leads_or_shares(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    assert await _numbers(tasks_client, scene.headers("shichang")) == [1]
    assert await _numbers(tasks_client, scene.headers("yunzhongqu", Role.unit)) == [1]
    assert await _numbers(tasks_client, scene.headers("hexiqu", Role.unit)) == [2]
    assert await _numbers(tasks_client, scene.headers("keji", Role.unit)) == []
    # Another unit's task looks exactly like a task that does not exist.
    other = await tasks_client.get(f"{TASKS}/2", headers=scene.headers("shichang"))
    assert other.status_code == 404
    own = await tasks_client.get(f"{TASKS}/1", headers=scene.headers("zhengwu", Role.unit))
    assert own.status_code == 200
    assert own.json()["lead_unit"]["code"] == "shichang"
    assert own.headers["etag"] == '"1"'


async def test_only_office_writes_tasks(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    body = {
        "number": 3,
        "domain": "shangshi",
        "task_class": "B",
        "title": "新任务",
        "goal": "目标描述",
        "lead_unit": "keji",
        "responsible_units": ["hexiqu"],
        "deadline": "2026-12-31",
        "milestones": [{"planned_date": "2026-12-31", "title": "完成任务"}],
    }
    for who, role in (("shichang", Role.lead_unit), ("keji", Role.unit), ("viewer", None)):
        response = await tasks_client.post(TASKS, json=body, headers=scene.headers(who, role))
        assert response.status_code == 403, who
    created = await tasks_client.post(TASKS, json=body, headers=scene.headers("staff"))
    assert created.status_code == 201, created.text
    assert created.json()["milestones"][0]["baseline_date"] == "2026-12-31"
    duplicate = await tasks_client.post(TASKS, json=body, headers=scene.headers("office"))
    assert duplicate.status_code == 409


async def test_create_rejects_bad_units_and_dates_with_field_errors(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    body = {
        "number": 9,
        "domain": "shangshi",
        "task_class": "A",
        "title": "坏任务",
        "goal": "目标",
        "lead_unit": "keji",
        "responsible_units": ["nope", "keji"],
        "deadline": "2026-06-30",
        "milestones": [{"planned_date": "2026-07-31", "title": "晚于完成时限"}],
    }
    response = await tasks_client.post(TASKS, json=body, headers=scene.headers("office"))
    assert response.status_code == 422
    assert response.json()["detail"] == "牵头单位不能同时是责任单位"
    body["responsible_units"] = ["nope"]
    response = await tasks_client.post(TASKS, json=body, headers=scene.headers("office"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "milestones", 0, "planned_date"]
    body["milestones"] = [{"planned_date": "2026-05-31", "title": "按时"}]
    response = await tasks_client.post(TASKS, json=body, headers=scene.headers("office"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"] == "未知单位“nope”"


async def test_patch_needs_the_current_version(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    url = f"{TASKS}/1"
    missing = await tasks_client.patch(url, json={"title": "改名"}, headers=office)
    assert missing.status_code == 412
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
    title = await session.scalar(select(Task.title).where(Task.number == 1))
    assert title == "企业开办一网通办"
    audits = await session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "task.updated")
    )
    assert audits == 1
    timeline = (await session.scalars(select(TimelineEntry.summary))).all()
    assert any("title" in s and "responsible_units" in s for s in timeline)
