"""Extension requests (延期申请): a unit asks to move a milestone, the office approves or rejects
once; approval moves the planned date and keeps the baseline, so the battle map shows the slip."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import AuditLog, Role, UnitMessage
from shared.settings import Settings
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"


@pytest.fixture(autouse=True)
def frozen(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(settings, "files_dir", tmp_path / "files")
    clock.freeze(datetime(2026, 4, 20, 2, tzinfo=UTC))  # 2026-04-20 10:00 in Shanghai
    yield
    clock.freeze(None)


async def ask(
    client: httpx.AsyncClient,
    scene: Scene,
    who: str,
    number: int = 2,
    ordinal: int = 1,
    to: str = "2026-05-31",
    reason: str = "配套系统采购延迟",
) -> httpx.Response:
    return await client.post(
        f"{API}/tasks/{number}/milestones/{ordinal}/extensions",
        json={"requested_date": to, "reason": reason},
        headers=scene.headers(who, Role.unit),
    )


async def decide(
    client: httpx.AsyncClient,
    scene: Scene,
    ext_id: int,
    verb: str,
    who: str = "office",
    **body: Any,
) -> httpx.Response:
    return await client.post(
        f"{API}/extensions/{ext_id}/{verb}", json=body, headers=scene.headers(who, Role.unit)
    )


async def milestone(client: httpx.AsyncClient, scene: Scene, number: int = 2) -> dict[str, Any]:
    task = await client.get(f"{API}/tasks/{number}", headers=scene.headers("office"))
    first: dict[str, Any] = task.json()["milestones"][0]
    return first


async def test_extension_keeps_baseline(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    asked = await ask(tasks_client, scene, "hexiqu")
    assert asked.status_code == 201, asked.text
    assert (asked.json()["status"], asked.json()["current_date"], asked.json()["unit_code"]) == (
        "pending",
        "2026-04-30",
        "hexiqu",
    )
    before = await milestone(tasks_client, scene)
    approved = await decide(tasks_client, scene, asked.json()["id"], "approve", comment="同意")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "office")
    after = await milestone(tasks_client, scene)
    assert (after["planned_date"], after["baseline_date"]) == ("2026-05-31", "2026-04-30")
    assert after["version"] == before["version"] + 1

    # The battle map shows the slip against the unchanged baseline.
    body = (await tasks_client.get(f"{API}/battle-map", headers=scene.headers("office"))).json()
    node = body["tasks"][1]["milestones"][0]
    assert (node["planned_date"], node["baseline_date"], node["slip_days"], node["month"]) == (
        "2026-05-31",
        "2026-04-30",
        31,
        "2026-05",
    )

    # A second extension moves the plan again; the baseline still does not move.
    again = await ask(tasks_client, scene, "shuiwu", to="2026-06-30", reason="试点区县调整")
    assert again.json()["current_date"] == "2026-05-31"
    await decide(tasks_client, scene, again.json()["id"], "approve")
    assert (await milestone(tasks_client, scene))["baseline_date"] == "2026-04-30"
    assert (await milestone(tasks_client, scene))["planned_date"] == "2026-06-30"


async def test_rejection_keeps_the_plan(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    asked = await ask(tasks_client, scene, "shuiwu")
    rejected = await decide(tasks_client, scene, asked.json()["id"], "reject", comment="理由不充分")
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision_comment"]) == (
        "rejected",
        "理由不充分",
    )
    assert (await milestone(tasks_client, scene))["planned_date"] == "2026-04-30"


async def test_one_pending_request_per_milestone(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    first = await ask(tasks_client, scene, "hexiqu")
    duplicate = await ask(tasks_client, scene, "shuiwu", to="2026-06-15")
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "该时间节点已有待审批的延期申请"
    other_milestone = await ask(tasks_client, scene, "shuiwu", ordinal=2, to="2026-10-31")
    assert other_milestone.status_code == 201
    await decide(tasks_client, scene, first.json()["id"], "reject", comment="不同意")
    assert (await ask(tasks_client, scene, "shuiwu", to="2026-05-15")).status_code == 201


async def test_requested_date_must_be_later_and_within_the_programme_year(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    for to in ("2026-04-30", "2026-04-01"):
        earlier = await ask(tasks_client, scene, "hexiqu", to=to)
        assert earlier.status_code == 422
        assert earlier.json()["errors"][0]["loc"] == ["body", "requested_date"]
    next_year = await ask(tasks_client, scene, "hexiqu", to="2027-01-05")
    assert next_year.status_code == 422
    assert "2026-12-31" in next_year.json()["detail"]
    no_reason = await ask(tasks_client, scene, "hexiqu", reason="  ")
    assert no_reason.status_code == 422
    assert (await ask(tasks_client, scene, "hexiqu", to="2026-12-31")).status_code == 201


async def test_only_the_task_units_ask(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    for who, expected in (("keji", 404), ("zhengwu", 404), ("office", 403), ("viewer", 403)):
        response = await ask(tasks_client, scene, who)
        assert response.status_code == expected, (who, response.text)
    assert (await ask(tasks_client, scene, "hexiqu", ordinal=9)).status_code == 404


async def test_only_the_office_decides_and_only_once(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    ext_id = (await ask(tasks_client, scene, "hexiqu")).json()["id"]
    for who, expected in (("shuiwu", 403), ("hexiqu", 403), ("viewer", 403), ("keji", 403)):
        assert (await decide(tasks_client, scene, ext_id, "approve", who)).status_code == expected
    assert (await decide(tasks_client, scene, ext_id, "approve", "staff")).status_code == 200
    for verb in ("approve", "reject"):
        again = await decide(tasks_client, scene, ext_id, verb)
        assert again.status_code == 409
        assert again.json()["detail"] == "该延期申请已处理，不能重复审批"
    assert (await decide(tasks_client, scene, 999999, "approve")).status_code == 404


async def test_the_requesting_unit_is_told_the_decision(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    approved = await ask(tasks_client, scene, "hexiqu")
    await decide(tasks_client, scene, approved.json()["id"], "approve", comment="同意延期")
    rejected = await ask(tasks_client, scene, "shuiwu", ordinal=2, to="2026-10-31")
    await decide(tasks_client, scene, rejected.json()["id"], "reject", comment="按原计划推进")
    messages = (
        await session.scalars(
            select(UnitMessage).where(UnitMessage.kind == "extension").order_by(UnitMessage.id)
        )
    ).all()
    assert [(m.unit_id, m.title) for m in messages] == [
        (scene.units["hexiqu"].id, "任务2第1个时间节点的延期申请已批准"),
        (scene.units["shuiwu"].id, "任务2第2个时间节点的延期申请已驳回"),
    ]
    assert "2026-05-31" in messages[0].body
    assert "同意延期" in messages[0].body


async def test_each_step_is_on_the_timeline_and_in_the_audit_log(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    asked = await ask(tasks_client, scene, "hexiqu")
    await decide(tasks_client, scene, asked.json()["id"], "approve", comment="同意")
    timeline = await tasks_client.get(
        f"{API}/tasks/2/timeline", headers=scene.headers("shuiwu", Role.unit)
    )
    entries = timeline.json()["items"]
    assert [e["kind"] for e in entries] == ["extension.requested", "extension.approved"]
    assert "2026-05-31" in entries[0]["summary"]
    assert "配套系统采购延迟" in entries[0]["summary"]
    assert (entries[0]["actor_unit_code"], entries[1]["actor_username"]) == ("hexiqu", "office")
    outsider = await tasks_client.get(
        f"{API}/tasks/2/timeline", headers=scene.headers("keji", Role.unit)
    )
    assert outsider.status_code == 404
    audit = (
        await session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "extension_request")
            .order_by(AuditLog.id)
        )
    ).all()
    assert [a.action for a in audit] == ["extension.requested", "extension.approved"]
    assert audit[1].before is not None
    assert audit[1].after is not None
    assert (audit[1].before["planned_date"], audit[1].after["planned_date"]) == (
        "2026-04-30",
        "2026-05-31",
    )
    assert audit[1].after["baseline_date"] == "2026-04-30"


async def test_list_is_scoped_to_the_units_tasks_and_filtered_by_status(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    on_two = await ask(tasks_client, scene, "hexiqu")
    on_one = await ask(tasks_client, scene, "zhengwu", number=1, to="2026-04-30")
    await decide(tasks_client, scene, on_one.json()["id"], "approve")

    async def listed(who: str, **params: str) -> tuple[list[int], int]:
        response = await tasks_client.get(
            f"{API}/extensions", params=params, headers=scene.headers(who, Role.unit)
        )
        assert response.status_code == 200
        return [e["id"] for e in response.json()["items"]], response.json()["total"]

    both = [on_one.json()["id"], on_two.json()["id"]]
    assert await listed("office") == (both, 2)  # newest first
    assert await listed("viewer") == (both, 2)
    assert await listed("shuiwu") == ([on_two.json()["id"]], 1)  # lead of task 2
    assert await listed("yunzhongqu") == ([on_one.json()["id"]], 1)  # responsible on task 1
    assert await listed("keji") == ([], 0)
    assert await listed("office", status="pending") == ([on_two.json()["id"]], 1)
    assert await listed("office", status="approved", limit="1") == ([on_one.json()["id"]], 1)
    assert await listed("office", limit="1", offset="1") == ([on_two.json()["id"]], 2)
    # One task's requests (its detail page), whatever else the programme holds.
    assert await listed("office", task="1") == ([on_one.json()["id"]], 1)
    assert await listed("shuiwu", task="2") == ([on_two.json()["id"]], 1)
    assert await listed("shuiwu", task="1") == ([], 0)


async def test_no_extension_for_a_closed_out_milestone(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    pending = await ask(tasks_client, scene, "hexiqu")
    sent = await tasks_client.post(
        f"{API}/tasks/2/milestones/1/reports",
        data={
            "content": "细则已出台",
            "claims_completion": "true",
            "completion_date": "2026-04-18",
        },
        headers=scene.headers("hexiqu", Role.unit),
    )
    await tasks_client.post(
        f"{API}/reports/{sent.json()['id']}/review",
        json={"decision": "accept"},
        headers=scene.headers("shuiwu"),
    )
    closed = await tasks_client.post(
        f"{API}/tasks/2/milestones/1/close-out", headers=scene.headers("office")
    )
    assert closed.status_code == 200
    late_approval = await decide(tasks_client, scene, pending.json()["id"], "approve")
    assert late_approval.status_code == 409
    assert (await decide(tasks_client, scene, pending.json()["id"], "reject")).status_code == 200
    new = await ask(tasks_client, scene, "hexiqu")
    assert new.status_code == 409
    assert new.json()["detail"] == "该时间节点已销号，不能申请延期"
