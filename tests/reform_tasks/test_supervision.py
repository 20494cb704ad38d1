"""Supervision (督办) with a frozen clock: issued by the office to an involved unit, escalated by
the daily sweep to a second supervision and then to accountability (问责) when the subject is
still not done, resolved instead when it is; every step in the unit's inbox, the subject's
timeline, the audit log and the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import AuditLog, OutboxEvent, Role, UnitMessage
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"
MILESTONE = {"task_number": 1, "milestone_ordinal": 1}


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(datetime(2026, 5, 4, 2, tzinfo=UTC))  # 2026-05-04 10:00 in Shanghai
    yield
    clock.freeze(None)


async def _issue(
    client: httpx.AsyncClient,
    scene: Scene,
    unit: str = "shichang",
    subject: dict[str, int] | None = None,
    due_on: str = "2026-05-15",
    reason: str = "方案制定滞后一个月",
    who: str = "office",
) -> httpx.Response:
    return await client.post(
        f"{API}/supervisions",
        json={
            "unit_code": unit,
            "subject": subject or MILESTONE,
            "reason": reason,
            "due_on": due_on,
        },
        headers=scene.headers(who),
    )


async def _sweep(client: httpx.AsyncClient, scene: Scene, day: str) -> dict[str, Any]:
    response = await client.post(
        f"{API}/sweeps/supervision", params={"as_of": day}, headers=scene.headers("office")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _subject(event: OutboxEvent) -> dict[str, int]:
    """The event's subject as the API names it."""
    data = event.data
    if data["problem_number"] is not None:
        return {"problem_number": data["problem_number"]}
    return {"task_number": data["task_number"], "milestone_ordinal": data["milestone"]}


async def _escalations(session: AsyncSession) -> list[OutboxEvent]:
    return list(
        (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == "supervision.escalated")
                .order_by(OutboxEvent.data["supervision_id"].as_integer())
            )
        ).all()
    )


async def _problem(client: httpx.AsyncClient, scene: Scene, unit: str = "hexiqu") -> int:
    response = await client.post(
        f"{API}/problems",
        json={
            "source": "inspection",
            "problem": "窗口办事排队时间过长",
            "cause": "窗口人手不足",
            "measure": "增设综合窗口并推行预约",
            "responsible_unit": unit,
            "found_on": "2026-04-20",
            "due_on": "2026-05-10",
        },
        headers=scene.headers("office"),
    )
    assert response.status_code == 201, response.text
    number: int = response.json()["number"]
    return number


async def test_supervision_escalates_to_second_then_accountability(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    issued = await _issue(tasks_client, scene)
    assert issued.status_code == 201, issued.text
    first = issued.json()
    assert (first["level"], first["status"], first["issued_on"], first["due_on"]) == (
        "first",
        "open",
        "2026-05-04",
        "2026-05-15",
    )
    assert (first["task_number"], first["milestone_ordinal"], first["unit_code"]) == (
        1,
        1,
        "shichang",
    )

    due_today = await _sweep(tasks_client, scene, "2026-05-15")
    assert due_today == {
        "as_of": "2026-05-15",
        "escalated_to_second": 0,
        "escalated_to_accountability": 0,
        "resolved": 0,
    }
    assert (await _sweep(tasks_client, scene, "2026-05-16"))["escalated_to_second"] == 1
    again = await _sweep(tasks_client, scene, "2026-05-16")
    assert (again["escalated_to_second"], again["escalated_to_accountability"]) == (0, 0)
    # Second supervision: due 5 working days (office default) after Saturday 16 May: Fri 22 May.
    assert (await _sweep(tasks_client, scene, "2026-05-22"))["escalated_to_accountability"] == 0
    assert (await _sweep(tasks_client, scene, "2026-05-23"))["escalated_to_accountability"] == 1
    assert (await _sweep(tasks_client, scene, "2026-05-23"))["escalated_to_accountability"] == 0
    assert (await _sweep(tasks_client, scene, "2026-12-31"))["escalated_to_accountability"] == 0

    mine = await tasks_client.get(f"{API}/supervisions", headers=scene.headers("shichang"))
    chain = mine.json()["items"]
    assert [(s["level"], s["status"], s["issued_on"], s["due_on"]) for s in chain] == [
        ("first", "escalated", "2026-05-04", "2026-05-15"),
        ("second", "escalated", "2026-05-16", "2026-05-22"),
        ("accountability", "proposed", "2026-05-23", None),
    ]
    assert [s["parent_id"] for s in chain] == [None, chain[0]["id"], chain[1]["id"]]
    # Issue #19, fix 5: proposed, not yet 问责 — nothing told to evaluation until decided.
    assert [e.data["level"] for e in await _escalations(session)] == ["first", "second"]
    decided = await tasks_client.post(
        f"{API}/supervisions/{chain[2]['id']}/decision",
        json={"decision": "hold", "reason": "二次督办逾期仍未整改，经主任办公会研究决定问责"},
        headers=scene.headers("office"),
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["resolution"]) == (
        "held_accountable",
        "二次督办逾期仍未整改，经主任办公会研究决定问责",
    )

    events = await _escalations(session)
    assert [(e.data["level"], e.unit_code, _subject(e)) for e in events] == [
        ("first", "shichang", MILESTONE),
        ("second", "shichang", MILESTONE),
        ("accountability", "shichang", MILESTONE),
    ]
    assert [e.data["supervision_id"] for e in events] == [s["id"] for s in chain]
    assert [(e.data["issued_on"], e.data["due_on"]) for e in events] == [
        ("2026-05-04", "2026-05-15"),
        ("2026-05-16", "2026-05-22"),
        ("2026-05-23", None),
    ]

    inbox = (
        await session.scalars(
            select(UnitMessage.title)
            .where(UnitMessage.unit_id == scene.units["shichang"].id)
            .order_by(UnitMessage.id)
        )
    ).all()
    assert [t.split("】")[0] for t in inbox] == [
        "【督办",
        "【二次督办",
        "【拟问责，待改革办决定",
        "【问责",
    ]
    timeline = await tasks_client.get(f"{API}/tasks/1/timeline", headers=scene.headers("office"))
    kinds = [e["kind"] for e in timeline.json()["items"]]
    assert kinds[-4:] == [
        "supervision.first",
        "supervision.second",
        "supervision.proposed",
        "supervision.accountability",
    ]
    actions = (
        await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.entity_type == "supervision")
            .order_by(AuditLog.id)
        )
    ).all()
    assert actions == [
        "supervision.first",
        "supervision.escalated",
        "supervision.second",
        "supervision.escalated",
        "supervision.accountability_proposed",
        "supervision.accountability",
    ]


async def test_the_office_may_decide_against_accountability_and_it_costs_nothing(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    assert (await _issue(tasks_client, scene)).status_code == 201
    await _sweep(tasks_client, scene, "2026-05-16")
    await _sweep(tasks_client, scene, "2026-05-23")
    listed = await tasks_client.get(
        f"{API}/supervisions", params={"level": "accountability"}, headers=scene.headers("office")
    )
    (proposal,) = listed.json()["items"]
    url = f"{API}/supervisions/{proposal['id']}/decision"
    body = {"decision": "dismiss", "reason": "节点已于督办期满后两日完成，情节轻微"}
    by_unit = await tasks_client.post(url, json=body, headers=scene.headers("shichang"))
    assert by_unit.status_code == 403
    no_reason = await tasks_client.post(
        url, json={"decision": "dismiss", "reason": ""}, headers=scene.headers("office")
    )
    assert no_reason.status_code == 422
    dismissed = await tasks_client.post(url, json=body, headers=scene.headers("office"))
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["status"] == "dismissed"
    twice = await tasks_client.post(url, json=body, headers=scene.headers("office"))
    assert twice.status_code == 409
    assert [e.data["level"] for e in await _escalations(session)] == ["first", "second"]
    resolve = await tasks_client.post(
        f"{API}/supervisions/{proposal['id']}/resolve",
        json={"resolution": "办结"},
        headers=scene.headers("office"),
    )
    assert resolve.status_code == 409


async def test_second_supervision_due_days_come_from_the_programme(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    scene.programme.settings = {**scene.programme.settings, "second_supervision_days": 3}
    await session.flush()
    assert (await _issue(tasks_client, scene)).status_code == 201
    await _sweep(tasks_client, scene, "2026-05-16")
    second = await tasks_client.get(
        f"{API}/supervisions", params={"level": "second"}, headers=scene.headers("office")
    )
    # Three working days after Saturday 16 May.
    assert [s["due_on"] for s in second.json()["items"]] == ["2026-05-20"]


async def test_resolution_stops_escalation(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    supervision = (await _issue(tasks_client, scene)).json()
    url = f"{API}/supervisions/{supervision['id']}/resolve"
    by_unit = await tasks_client.post(
        url, json={"resolution": "自行办结"}, headers=scene.headers("shichang")
    )
    assert by_unit.status_code == 403
    resolved = await tasks_client.post(
        url, json={"resolution": "已提交工作方案"}, headers=scene.headers("office")
    )
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolved_on"]) == ("resolved", "2026-05-04")
    twice = await tasks_client.post(
        url, json={"resolution": "再次办结"}, headers=scene.headers("office")
    )
    assert twice.status_code == 409

    summary = await _sweep(tasks_client, scene, "2026-06-30")
    assert (summary["escalated_to_second"], summary["resolved"]) == (0, 0)
    assert [e.data["level"] for e in await _escalations(session)] == ["first"]
    timeline = await tasks_client.get(f"{API}/tasks/1/timeline", headers=scene.headers("office"))
    assert [e["kind"] for e in timeline.json()["items"]][-2:] == [
        "supervision.first",
        "supervision.resolved",
    ]
    # Once resolved, the office may supervise the same milestone again.
    assert (await _issue(tasks_client, scene, due_on="2026-05-30")).status_code == 201


async def test_fixed_subject_resolves_instead_of_escalating(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    number = await _problem(tasks_client, scene)
    issued = await _issue(
        tasks_client, scene, "hexiqu", {"problem_number": number}, "2026-05-12", "排队问题尚未整改"
    )
    assert issued.status_code == 201, issued.text
    closed = await tasks_client.post(
        f"{API}/problems/{number}/close-out",
        json={"note": "已增设窗口，平均等候10分钟"},
        headers=scene.headers("office"),
    )
    assert closed.status_code == 200
    result = await _sweep(tasks_client, scene, "2026-05-20")
    assert (result["resolved"], result["escalated_to_second"]) == (1, 0)
    again = await _sweep(tasks_client, scene, "2026-05-20")
    assert again["resolved"] == 0
    shown = await tasks_client.get(
        f"{API}/supervisions/{issued.json()['id']}", headers=scene.headers("hexiqu", Role.unit)
    )
    assert (shown.json()["status"], shown.json()["resolved_on"]) == ("resolved", "2026-05-20")
    assert [e.data["level"] for e in await _escalations(session)] == ["first"]
    timeline = await tasks_client.get(
        f"{API}/problems/{number}/timeline", headers=scene.headers("hexiqu", Role.unit)
    )
    assert [e["kind"] for e in timeline.json()["items"]] == [
        "problem.created",
        "supervision.first",
        "problem.closed",
        "supervision.resolved",
    ]


async def test_overdue_problem_escalates_like_a_milestone(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, frozen: None
) -> None:
    number = await _problem(tasks_client, scene)
    issued = await _issue(tasks_client, scene, "hexiqu", {"problem_number": number}, "2026-05-12")
    assert issued.status_code == 201
    assert (await _sweep(tasks_client, scene, "2026-05-13"))["escalated_to_second"] == 1
    events = await _escalations(session)
    assert [(e.data["level"], _subject(e), e.unit_code) for e in events] == [
        ("first", {"problem_number": number}, "hexiqu"),
        ("second", {"problem_number": number}, "hexiqu"),
    ]


async def test_supervised_unit_must_be_involved_in_the_subject(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    not_on_task = await _issue(tasks_client, scene, "keji")
    assert not_on_task.status_code == 422
    assert (await _issue(tasks_client, scene, "zhengwu")).status_code == 201  # responsible unit
    number = await _problem(tasks_client, scene)
    not_responsible = await _issue(tasks_client, scene, "shichang", {"problem_number": number})
    assert not_responsible.status_code == 422
    no_milestone = await _issue(
        tasks_client, scene, subject={"task_number": 1, "milestone_ordinal": 9}
    )
    assert no_milestone.status_code == 422
    no_task = await _issue(tasks_client, scene, subject={"task_number": 99, "milestone_ordinal": 1})
    assert no_task.status_code == 422
    two_subjects = await _issue(
        tasks_client, scene, subject={**MILESTONE, "problem_number": number}
    )
    assert two_subjects.status_code == 422
    past_due = await _issue(tasks_client, scene, due_on="2026-05-04")
    assert past_due.status_code == 422


async def test_one_open_supervision_per_unit_and_subject(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    assert (await _issue(tasks_client, scene)).status_code == 201
    duplicate = await _issue(tasks_client, scene, reason="重复督办同一事项", due_on="2026-05-20")
    assert duplicate.status_code == 409
    # Another unit on the same milestone is a different supervision.
    assert (await _issue(tasks_client, scene, "yunzhongqu")).status_code == 201
    number = await _problem(tasks_client, scene)
    await tasks_client.post(
        f"{API}/problems/{number}/close-out",
        json={"note": "已整改"},
        headers=scene.headers("office"),
    )
    closed_problem = await _issue(tasks_client, scene, "hexiqu", {"problem_number": number})
    assert closed_problem.status_code == 409


async def test_units_see_only_their_own_supervisions_and_cannot_issue(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    theirs = (await _issue(tasks_client, scene)).json()
    mine = (await _issue(tasks_client, scene, "zhengwu")).json()
    zhengwu = scene.headers("zhengwu", Role.unit)
    listed = await tasks_client.get(f"{API}/supervisions", headers=zhengwu)
    assert [s["id"] for s in listed.json()["items"]] == [mine["id"]]
    filtered = await tasks_client.get(
        f"{API}/supervisions", params={"unit": "shichang"}, headers=zhengwu
    )
    assert filtered.json() == {"items": [], "total": 0}
    other = await tasks_client.get(f"{API}/supervisions/{theirs['id']}", headers=zhengwu)
    assert other.status_code == 404
    assert (
        await tasks_client.get(f"{API}/supervisions/{mine['id']}", headers=zhengwu)
    ).status_code == 200
    issue_as_unit = await _issue(tasks_client, scene, "zhengwu", who="shichang")
    assert issue_as_unit.status_code == 403
    viewer = await tasks_client.get(f"{API}/supervisions", headers=scene.headers("viewer"))
    assert viewer.json()["total"] == 2
    assert (await _issue(tasks_client, scene, "yunzhongqu", who="viewer")).status_code == 403
    office = await tasks_client.get(
        f"{API}/supervisions",
        params={"status": "open", "level": "first", "unit": "shichang"},
        headers=scene.headers("office"),
    )
    assert [s["id"] for s in office.json()["items"]] == [theirs["id"]]
    # One task's supervisions (its detail page).
    other_task = (
        await _issue(
            tasks_client, scene, "hexiqu", subject={"task_number": 2, "milestone_ordinal": 1}
        )
    ).json()
    office_headers = scene.headers("office")
    by_task = {
        n: [
            s["id"]
            for s in (
                await tasks_client.get(
                    f"{API}/supervisions", params={"task": n}, headers=office_headers
                )
            ).json()["items"]
        ]
        for n in (1, 2, 3)
    }
    assert by_task == {1: [theirs["id"], mine["id"]], 2: [other_task["id"]], 3: []}


async def test_units_and_viewers_cannot_run_the_escalation(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    for who in ("shichang", "viewer"):
        response = await tasks_client.post(
            f"{API}/sweeps/supervision", params={"as_of": "2026-05-20"}, headers=scene.headers(who)
        )
        assert response.status_code == 403
