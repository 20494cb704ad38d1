"""Report → review → close-out of milestones and the task, extensions that keep the baseline, the
battle map as of past dates, and evidence only for those involved (issue: reform_tasks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import OutboxEvent, Role, UnitMessage
from shared.settings import Settings
from tests.reform_tasks.conftest import Scene

PDF = b"%PDF-1.4\n%demo evidence\n"
API = "/api/tasks/v1"


async def _report(
    client: httpx.AsyncClient,
    scene: Scene,
    unit: str,
    number: int,
    ordinal: int,
    *,
    done_on: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
    role: Role = Role.unit,
) -> httpx.Response:
    data: dict[str, Any] = {"content": "已完成方案制定并印发实施"}
    if done_on:
        data.update(claims_completion="true", completion_date=done_on)
    return await client.post(
        f"{API}/tasks/{number}/milestones/{ordinal}/reports",
        data=data,
        files=[("files", (name, content)) for name, content in files or []],
        headers=scene.headers(unit, role),
    )


async def test_report_review_close_out_lifecycle_emits_events_once(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    for ordinal, done in ((1, "2026-03-25"), (2, "2026-07-10")):
        report = await _report(
            tasks_client, scene, "zhengwu", 1, ordinal, done_on=done, files=[("方案.pdf", PDF)]
        )
        assert report.status_code == 201, report.text
        assert report.json()["evidence"][0]["filename"] == "方案.pdf"
        # The responsible unit cannot review; the lead unit can.
        denied = await tasks_client.post(
            f"{API}/reports/{report.json()['id']}/review",
            json={"decision": "accept"},
            headers=scene.headers("zhengwu", Role.unit),
        )
        assert denied.status_code == 403
        accepted = await tasks_client.post(
            f"{API}/reports/{report.json()['id']}/review",
            json={"decision": "accept"},
            headers=scene.headers("shichang"),
        )
        assert accepted.status_code == 200, accepted.text
        twice = await tasks_client.post(
            f"{API}/reports/{report.json()['id']}/review",
            json={"decision": "accept"},
            headers=scene.headers("shichang"),
        )
        assert twice.status_code == 409
        unit_close = await tasks_client.post(
            f"{API}/tasks/1/milestones/{ordinal}/close-out", headers=scene.headers("shichang")
        )
        assert unit_close.status_code == 403
        closed = await tasks_client.post(
            f"{API}/tasks/1/milestones/{ordinal}/close-out", headers=office
        )
        assert closed.status_code == 200, closed.text
        again = await tasks_client.post(
            f"{API}/tasks/1/milestones/{ordinal}/close-out", headers=office
        )
        assert again.status_code == 409
    late = await tasks_client.get(f"{API}/tasks/1", headers=office)
    assert [m["completed_on"] for m in late.json()["milestones"]] == ["2026-03-25", "2026-07-10"]
    after_close = await _report(tasks_client, scene, "zhengwu", 1, 1)
    assert after_close.status_code == 409

    task_closed = await tasks_client.post(f"{API}/tasks/1/close-out", headers=office)
    assert task_closed.status_code == 200
    assert task_closed.json() == {
        "task_number": 1,
        "milestone_ordinal": None,
        "completed_on": "2026-07-10",
        "on_time": False,
    }
    events = (await session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at))).all()
    assert [e.type for e in events] == ["milestone.completed"] * 2 + ["task.closed_out"]
    assert [e.data["on_time"] for e in events] == [True, False, False]
    assert events[1].data["days_late"] == 10
    assert all(e.unit_code == "shichang" for e in events)

    timeline = await tasks_client.get(
        f"{API}/tasks/1/timeline", headers=scene.headers("yunzhongqu", Role.unit)
    )
    kinds = [e["kind"] for e in timeline.json()["items"]]
    assert kinds.count("progress.reported") == 2
    assert kinds[-1] == "task.closed_out"


async def test_task_close_out_needs_every_milestone(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await tasks_client.post(f"{API}/tasks/2/close-out", headers=scene.headers("office"))
    assert response.status_code == 409
    assert "第1、2个" in response.json()["detail"]


async def test_close_out_needs_an_accepted_completion(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    progress_only = await _report(tasks_client, scene, "hexiqu", 2, 1)
    assert progress_only.status_code == 201
    response = await tasks_client.post(
        f"{API}/tasks/2/milestones/1/close-out", headers=scene.headers("office")
    )
    assert response.status_code == 409
    returned = await tasks_client.post(
        f"{API}/reports/{progress_only.json()['id']}/review",
        json={"decision": "return", "comment": "请补充数据截图"},
        headers=scene.headers("shuiwu"),
    )
    assert returned.status_code == 200
    message = await session.scalar(select(UnitMessage))
    assert message is not None
    assert message.unit_id == scene.units["hexiqu"].id
    assert "退回" in message.title


async def test_evidence_is_checked_and_only_involved_units_download_it(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    settings: Settings,
    tmp_path: Path,
) -> None:
    settings.files_dir = tmp_path
    exe = await _report(
        tasks_client, scene, "zhengwu", 1, 1, files=[("报告.pdf", b"MZ\x90\x00 not a pdf")]
    )
    assert exe.status_code == 422
    assert list(tmp_path.rglob("*")) == []
    sneaky = await _report(
        tasks_client, scene, "zhengwu", 1, 1, files=[("../../etc/passwd.pdf", PDF)]
    )
    assert sneaky.status_code == 201, sneaky.text
    evidence = sneaky.json()["evidence"][0]
    assert evidence["filename"] == "passwd.pdf"
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert tmp_path in stored[0].parents
    own = await tasks_client.get(
        evidence["download_url"], headers=scene.headers("yunzhongqu", Role.unit)
    )
    assert own.status_code == 200
    assert own.content == PDF
    other = await tasks_client.get(evidence["download_url"], headers=scene.headers("keji"))
    assert other.status_code == 404
    settings.evidence_max_bytes = 10
    too_big = await _report(tasks_client, scene, "zhengwu", 1, 1, files=[("大.pdf", PDF)])
    assert too_big.status_code == 413


async def test_extension_keeps_baseline_and_battle_map_shows_slippage(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    asked = await tasks_client.post(
        f"{API}/tasks/2/milestones/1/extensions",
        json={"requested_date": "2026-05-31", "reason": "配套系统采购延迟"},
        headers=scene.headers("hexiqu", Role.unit),
    )
    assert asked.status_code == 201, asked.text
    duplicate = await tasks_client.post(
        f"{API}/tasks/2/milestones/1/extensions",
        json={"requested_date": "2026-06-15", "reason": "再次申请延期"},
        headers=scene.headers("shuiwu"),
    )
    assert duplicate.status_code == 409
    outsider = await tasks_client.post(
        f"{API}/tasks/2/milestones/1/extensions",
        json={"requested_date": "2026-06-15", "reason": "无关单位申请"},
        headers=scene.headers("keji"),
    )
    assert outsider.status_code == 404
    unit_approval = await tasks_client.post(
        f"{API}/extensions/{asked.json()['id']}/approve", json={}, headers=scene.headers("shuiwu")
    )
    assert unit_approval.status_code == 403
    approved = await tasks_client.post(
        f"{API}/extensions/{asked.json()['id']}/approve",
        json={"comment": "同意"},
        headers=scene.headers("office"),
    )
    assert approved.status_code == 200
    task = (await tasks_client.get(f"{API}/tasks/2", headers=scene.headers("office"))).json()
    assert task["milestones"][0]["planned_date"] == "2026-05-31"
    assert task["milestones"][0]["baseline_date"] == "2026-04-30"

    office = scene.headers("office")
    # The decision was taken today: the map as of today shows the slip against the baseline …
    now = (await tasks_client.get(f"{API}/battle-map", headers=office)).json()
    moved = now["tasks"][1]["milestones"][0]
    assert (moved["planned_date"], moved["baseline_date"], moved["slip_days"]) == (
        "2026-05-31",
        "2026-04-30",
        31,
    )
    assert moved["month"] == "2026-05"
    # … and as of a day before the decision, the plan in force was still the baseline.
    before = (
        await tasks_client.get(f"{API}/battle-map", params={"as_of": "2026-05-15"}, headers=office)
    ).json()
    old = before["tasks"][1]["milestones"][0]
    assert (old["planned_date"], old["slip_days"], old["status"]) == ("2026-04-30", 0, "lagging")


async def test_battle_map_statuses_as_of_past_dates(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    office = scene.headers("office")

    async def statuses(as_of: str) -> list[list[str]]:
        body = (
            await tasks_client.get(f"{API}/battle-map", params={"as_of": as_of}, headers=office)
        ).json()
        return [[m["status"] for m in t["milestones"]] for t in body["tasks"]]

    assert await statuses("2026-03-01") == [["not_due", "not_due"], ["not_due", "not_due"]]
    assert await statuses("2026-04-10") == [["lagging", "not_due"], ["not_due", "not_due"]]
    assert await statuses("2026-05-15") == [
        ["seriously_lagging", "not_due"],
        ["lagging", "not_due"],
    ]
    report = await _report(tasks_client, scene, "zhengwu", 1, 1, done_on="2026-04-02")
    await tasks_client.post(
        f"{API}/reports/{report.json()['id']}/review",
        json={"decision": "accept"},
        headers=scene.headers("shichang"),
    )
    await tasks_client.post(f"{API}/tasks/1/milestones/1/close-out", headers=office)
    assert (await statuses("2026-05-15"))[0] == ["done_late", "not_due"]
    assert (await statuses("2026-04-01"))[0][0] == "lagging"  # not yet done on that day
    body = (
        await tasks_client.get(f"{API}/battle-map", params={"as_of": "2026-05-15"}, headers=office)
    ).json()
    assert body["totals"] == {"done_late": 1, "not_due": 2, "lagging": 1}
    assert {d["key"] for d in body["by_domain"]} == {"shangshi", "nashui"}
    unit_view = (
        await tasks_client.get(
            f"{API}/battle-map",
            params={"as_of": "2026-05-15"},
            headers=scene.headers("hexiqu", Role.unit),
        )
    ).json()
    assert [t["number"] for t in unit_view["tasks"]] == [2]
