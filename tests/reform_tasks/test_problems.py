"""Problem lists (问题清单): the office registers problem / cause / measure with a responsible unit
and a due date; the unit reports progress; the office closes each item out (对单销号), which is
told to evaluation once. A unit sees only its own problems."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.demo.loader import load
from shared.demo.problems import load_problems, read_rows
from shared.models import (
    AuditLog,
    OutboxEvent,
    Problem,
    ProblemStatus,
    Programme,
    Role,
    TimelineEntry,
    Unit,
    UnitMessage,
)
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(datetime(2026, 5, 4, 2, tzinfo=UTC))  # 2026-05-04 10:00 in Shanghai
    yield
    clock.freeze(None)


async def _register(
    client: httpx.AsyncClient, scene: Scene, unit: str = "hexiqu", **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/problems",
        json={
            "source": "hotline",
            "problem": "企业反映开办材料重复提交",
            "cause": "部门间数据未共享",
            "measure": "打通数据共享接口，实现一次提交",
            "responsible_unit": unit,
            "found_on": "2026-04-01",
            "due_on": "2026-05-31",
            **overrides,
        },
        headers=scene.headers("office"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_office_registers_problems_numbered_in_the_programme(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    first = await _register(tasks_client, scene)
    second = await _register(tasks_client, scene, "yunzhongqu", source="inspection")
    assert (first["number"], second["number"]) == (1, 2)
    assert (first["problem"], first["cause"], first["measure"]) == (
        "企业反映开办材料重复提交",
        "部门间数据未共享",
        "打通数据共享接口，实现一次提交",
    )
    assert (first["status"], first["overdue"], first["version"]) == ("open", False, 1)
    inbox = (
        await session.scalars(
            select(UnitMessage.title).where(UnitMessage.unit_id == scene.units["hexiqu"].id)
        )
    ).all()
    assert inbox == ["【问题整改】问题1已交办本单位整改"]
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "problem.created")
        )
        == 2
    )


async def test_problem_registration_rules(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    body = {
        "source": "survey",
        "problem": "企业满意度调查反映审批时限长",
        "responsible_unit": "hexiqu",
        "found_on": "2026-04-01",
        "due_on": "2026-03-01",
    }
    backwards = await tasks_client.post(
        f"{API}/problems", json=body, headers=scene.headers("office")
    )
    assert backwards.status_code == 422
    unknown = await tasks_client.post(
        f"{API}/problems",
        json={**body, "due_on": "2026-06-01", "responsible_unit": "nosuch"},
        headers=scene.headers("office"),
    )
    assert unknown.status_code == 422
    bad_source = await tasks_client.post(
        f"{API}/problems",
        json={**body, "due_on": "2026-06-01", "source": "rumour"},
        headers=scene.headers("office"),
    )
    assert bad_source.status_code == 422
    by_unit = await tasks_client.post(
        f"{API}/problems", json={**body, "due_on": "2026-06-01"}, headers=scene.headers("hexiqu")
    )
    assert by_unit.status_code == 403


async def test_units_see_only_their_own_problems(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    await _register(tasks_client, scene, due_on="2026-04-30")
    await _register(tasks_client, scene, "yunzhongqu")
    hexiqu = scene.headers("hexiqu", Role.unit)
    own = await tasks_client.get(f"{API}/problems", headers=hexiqu)
    assert [(p["number"], p["overdue"]) for p in own.json()["items"]] == [(1, True)]
    assert own.json()["total"] == 1
    assert (await tasks_client.get(f"{API}/problems/2", headers=hexiqu)).status_code == 404
    assert (await tasks_client.get(f"{API}/problems/2/timeline", headers=hexiqu)).status_code == 404
    widened = await tasks_client.get(
        f"{API}/problems", params={"unit": "yunzhongqu"}, headers=hexiqu
    )
    assert widened.json() == {"items": [], "total": 0}
    keji = await tasks_client.get(f"{API}/problems", headers=scene.headers("keji", Role.unit))
    assert keji.json() == {"items": [], "total": 0}
    viewer = await tasks_client.get(f"{API}/problems", headers=scene.headers("viewer"))
    assert viewer.json()["total"] == 2


async def test_problem_list_filters(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    await _register(tasks_client, scene)
    await _register(
        tasks_client,
        scene,
        "yunzhongqu",
        source="inspection",
        problem="不动产登记窗口排队时间过长",
        cause="窗口设置不合理",
        measure="推行预约办理",
    )
    await tasks_client.post(
        f"{API}/problems/1/close-out", json={"note": "核查通过"}, headers=scene.headers("office")
    )

    async def numbers(**params: Any) -> list[int]:
        response = await tasks_client.get(
            f"{API}/problems", params=params, headers=scene.headers("office")
        )
        assert response.status_code == 200, response.text
        return [p["number"] for p in response.json()["items"]]

    assert await numbers() == [1, 2]
    assert await numbers(status="open") == [2]
    assert await numbers(status="closed") == [1]
    assert await numbers(source="hotline") == [1]
    assert await numbers(unit="yunzhongqu") == [2]
    assert await numbers(q="预约") == [2]  # found in the measure
    assert await numbers(q="数据未共享") == [1]  # found in the cause
    assert await numbers(q="100%") == []
    assert await numbers(limit=1, offset=1) == [2]


async def test_progress_close_out_and_one_problem_closed_event(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    await _register(tasks_client, scene, due_on="2026-04-30")
    await _register(tasks_client, scene, "yunzhongqu")
    hexiqu = scene.headers("hexiqu", Role.unit)
    progress = await tasks_client.post(
        f"{API}/problems/1/progress", json={"note": "已完成接口开发，正在联调"}, headers=hexiqu
    )
    assert progress.status_code == 200
    assert [e["kind"] for e in progress.json()["items"]] == ["problem.created", "problem.progress"]
    assert progress.json()["items"][-1]["actor_unit_code"] == "hexiqu"
    not_theirs = await tasks_client.post(
        f"{API}/problems/2/progress", json={"note": "越权报送"}, headers=hexiqu
    )
    assert not_theirs.status_code == 404
    viewer = await tasks_client.post(
        f"{API}/problems/1/progress", json={"note": "只读账号"}, headers=scene.headers("viewer")
    )
    assert viewer.status_code == 403
    unit_close = await tasks_client.post(
        f"{API}/problems/1/close-out", json={"note": "自行销号"}, headers=hexiqu
    )
    assert unit_close.status_code == 403

    closed = await tasks_client.post(
        f"{API}/problems/1/close-out", json={"note": "核查通过"}, headers=scene.headers("office")
    )
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["closed_on"], closed.json()["overdue"]) == (
        "closed",
        "2026-05-04",
        False,
    )
    twice = await tasks_client.post(
        f"{API}/problems/1/close-out", json={"note": "再次销号"}, headers=scene.headers("office")
    )
    assert twice.status_code == 409
    late_progress = await tasks_client.post(
        f"{API}/problems/1/progress", json={"note": "销号后补充"}, headers=hexiqu
    )
    assert late_progress.status_code == 409

    events = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "problem.closed"))
    ).all()
    assert [(e.unit_code, e.programme, e.data) for e in events] == [
        (
            "hexiqu",
            "2026",
            {
                "problem_number": 1,
                "unit": "hexiqu",
                "source": "hotline",
                "found_on": "2026-04-01",
                "due_on": "2026-04-30",
                "closed_on": "2026-05-04",
                "on_time": False,
            },
        )
    ]
    timeline = await tasks_client.get(f"{API}/problems/1/timeline", headers=hexiqu)
    assert [e["kind"] for e in timeline.json()["items"]] == [
        "problem.created",
        "problem.progress",
        "problem.closed",
    ]
    assert "逾期整改" in timeline.json()["items"][-1]["summary"]


async def test_problem_closed_by_its_due_date_is_on_time(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    await _register(tasks_client, scene, due_on="2026-05-04")
    await tasks_client.post(
        f"{API}/problems/1/close-out", json={"note": "按期整改"}, headers=scene.headers("office")
    )
    event = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "problem.closed"))
    assert event is not None
    assert event.data["on_time"] is True


async def test_office_edits_an_open_problem_with_if_match(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    await _register(tasks_client, scene)
    url = f"{API}/problems/1"
    shown = await tasks_client.get(url, headers=scene.headers("office"))
    assert shown.headers["ETag"] == '"1"'
    change = {"measure": "上线数据共享平台", "responsible_unit": "yunzhongqu"}
    missing = await tasks_client.patch(url, json=change, headers=scene.headers("office"))
    assert missing.status_code == 412
    by_unit = await tasks_client.patch(
        url, json=change, headers={**scene.headers("hexiqu", Role.unit), "If-Match": '"1"'}
    )
    assert by_unit.status_code == 403
    changed = await tasks_client.patch(
        url, json=change, headers={**scene.headers("office"), "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["measure"], changed.json()["responsible_unit"]) == (
        "上线数据共享平台",
        "yunzhongqu",
    )
    assert (changed.json()["version"], changed.headers["ETag"]) == (2, '"2"')
    stale = await tasks_client.patch(
        url, json={"cause": "改"}, headers={**scene.headers("office"), "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    backwards = await tasks_client.patch(
        url, json={"due_on": "2026-03-01"}, headers={**scene.headers("office"), "If-Match": '"2"'}
    )
    assert backwards.status_code == 422
    # The new responsible unit now sees it and is told; the old one no longer sees it.
    assert (
        await tasks_client.get(url, headers=scene.headers("yunzhongqu", Role.unit))
    ).status_code == 200
    assert (
        await tasks_client.get(url, headers=scene.headers("hexiqu", Role.unit))
    ).status_code == 404
    told = await session.scalar(
        select(UnitMessage.title).where(UnitMessage.unit_id == scene.units["yunzhongqu"].id)
    )
    assert told == "【问题整改】问题1已改由本单位整改"
    timeline = await tasks_client.get(f"{url}/timeline", headers=scene.headers("office"))
    assert timeline.json()["items"][-1]["summary"] == "改革办修改问题：整改措施、责任单位"
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "problem.updated"))
    assert audit is not None
    assert audit.before is not None
    assert audit.after is not None
    assert (audit.before["responsible_unit"], audit.after["responsible_unit"]) == (
        "hexiqu",
        "yunzhongqu",
    )

    await tasks_client.post(
        f"{url}/close-out", json={"note": "核查通过"}, headers=scene.headers("office")
    )
    current = (await tasks_client.get(url, headers=scene.headers("office"))).headers["ETag"]
    after_close = await tasks_client.patch(
        url, json={"cause": "改"}, headers={**scene.headers("office"), "If-Match": current}
    )
    assert after_close.status_code == 409


DEMO_ROWS: list[dict[str, Any]] = [
    {
        "number": 1,
        "source": "督查",
        "problem": "工程建设项目审批环节多、材料多",
        "cause": "部门间审批流程未并联",
        "measure": "推行并联审批和告知承诺制",
        "responsible_unit": "zhengwu",
        "found_on": "2026-03-02",
        "due_date": "2026-04-30",
        "closed_on": "2026-04-28",
        "progress": ["已出台并联审批实施办法"],
    },
    {
        "source": "hotline",
        "problem": "企业反映水电气报装多头跑",
        "cause": "报装窗口分散",
        "measure": "设立水电气联合报装窗口",
        "responsible_unit": "yunzhongqu",
        "found_on": "2026-03-15",
        "due_on": "2026-06-30",
        "closed_on": "2099-06-20",  # not yet: loaded as open
    },
]


async def test_demo_problems_load_once(scene: Scene, session: AsyncSession) -> None:
    units = {u.code: u for u in (await session.scalars(select(Unit))).all()}
    assert await load_problems(session, scene.programme, units, rows=DEMO_ROWS) == 2
    assert await load_problems(session, scene.programme, units, rows=DEMO_ROWS) == 0
    problems = (await session.scalars(select(Problem).order_by(Problem.number))).all()
    assert [(p.number, p.status, p.closed_on is not None) for p in problems] == [
        (1, ProblemStatus.closed, True),
        (2, ProblemStatus.open, False),
    ]
    events = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "problem.closed"))
    ).all()
    assert [(e.unit_code, e.data["on_time"], e.producer) for e in events] == [
        ("zhengwu", True, "reform_tasks")
    ]
    kinds = (
        await session.scalars(
            select(TimelineEntry.kind)
            .where(
                TimelineEntry.subject_type == "problem", TimelineEntry.subject_id == problems[0].id
            )
            .order_by(TimelineEntry.occurred_at)
        )
    ).all()
    assert kinds == ["problem.created", "problem.progress", "problem.closed"]
    with pytest.raises(ValueError, match="unknown unit"):
        await load_problems(
            session,
            scene.programme,
            units,
            rows=[{**DEMO_ROWS[1], "number": 3, "responsible_unit": "x"}],
        )


async def test_demo_problem_file_loads_against_the_demo_units(session: AsyncSession) -> None:
    rows = read_rows()
    if not rows:
        pytest.skip("shared/demo/data/problems.json is not there yet")
    loaded = await load(session, password="pw-demo", as_of=date(2026, 11, 24))
    assert loaded.problems == len(rows)  # the demo loader loads the problem list
    programme = await session.scalar(select(Programme).where(Programme.code == "2026"))
    assert programme is not None
    units = {u.code: u for u in (await session.scalars(select(Unit))).all()}
    assert await load_problems(session, programme, units) == 0
