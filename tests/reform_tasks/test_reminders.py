"""Reminders: each kind lands in the right units' inboxes once; an extension reminds again for
the new date; a unit cannot trigger a run; with an OA system configured, each also reaches it,
signed, through the outbox."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from services.reform_tasks.app import create_app
from shared.events import OA_CONSUMER
from shared.http import ServiceTokens
from shared.models import (
    AuditLog,
    Milestone,
    OutboxEvent,
    RatingWindow,
    Role,
    Supervision,
    SupervisionLevel,
    UnitMessage,
)
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.conftest import AppFactory
from tests.reform_tasks.conftest import Scene

RUN = "/api/tasks/v1/reminders/run"


async def _run(
    client: httpx.AsyncClient, scene: Scene, day: date, kinds: str = ""
) -> dict[str, int]:
    """The counts of reminders sent now, of the kinds starting with `kinds`."""
    scheduler = scene.factory.headers("service:scheduler", Role.service, None)
    response = await client.post(RUN, params={"as_of": day.isoformat()}, headers=scheduler)
    assert response.status_code == 200, response.text
    counts: dict[str, int] = response.json()["counts"]
    return {k: v for k, v in counts.items() if k.startswith(kinds)}


async def _inbox(session: AsyncSession, scene: Scene) -> Counter[tuple[str, str]]:
    codes = {u.id: code for code, u in scene.units.items()}
    rows = (await session.execute(select(UnitMessage.unit_id, UnitMessage.kind))).all()
    return Counter((codes[unit_id], kind) for unit_id, kind in rows)


async def test_milestone_reminders_fire_once_each_to_lead_and_responsible_units(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    # Task 1's first milestone is planned on 2026-03-31 (shichang leads; zhengwu, yunzhongqu).
    assert await _run(tasks_client, scene, date(2026, 3, 25), "milestone") == {
        "milestone_due_soon": 3
    }
    assert await _run(tasks_client, scene, date(2026, 3, 26), "milestone") == {}  # already reminded
    assert await _run(tasks_client, scene, date(2026, 3, 31), "milestone") == {
        "milestone_due_today": 3
    }
    assert await _run(tasks_client, scene, date(2026, 3, 31), "milestone") == {}
    assert await _run(tasks_client, scene, date(2026, 4, 1), "milestone") == {
        "milestone_overdue": 3
    }
    assert await _run(tasks_client, scene, date(2026, 4, 2), "milestone") == {}
    inbox = await _inbox(session, scene)
    for unit in ("shichang", "zhengwu", "yunzhongqu"):
        assert inbox[(unit, "milestone_due_soon")] == 1
        assert inbox[(unit, "milestone_due_today")] == 1
        assert inbox[(unit, "milestone_overdue")] == 1
    assert inbox[("keji", "milestone_due_soon")] == 0
    message = (
        await tasks_client.get("/api/tasks/v1/messages", headers=scene.headers("zhengwu"))
    ).json()["items"][0]
    assert message["title"] == "【已逾期】任务1第1个时间节点“制定工作方案”"
    assert message["link"] == "/tasks/1"
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "reminders.sent"))
    assert audit is not None


async def test_an_extension_reminds_again_for_the_new_date(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    await _run(
        tasks_client, scene, date(2026, 4, 1), "milestone"
    )  # overdue for 03-31 (and due soon: none)
    await session.execute(
        update(Milestone)
        .where(Milestone.task_id == scene.tasks[1].id, Milestone.ordinal == 1)
        .values(planned_date=date(2026, 4, 20))
    )
    await session.flush()
    assert await _run(tasks_client, scene, date(2026, 4, 15), "milestone") == {
        "milestone_due_soon": 3
    }


async def test_a_completed_milestone_is_not_reminded(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    await session.execute(
        update(Milestone)
        .where(Milestone.task_id == scene.tasks[1].id, Milestone.ordinal == 1)
        .values(completed_on=date(2026, 3, 20))
    )
    await session.flush()
    assert await _run(tasks_client, scene, date(2026, 3, 31), "milestone") == {}


async def test_quarterly_report_due_by_the_25th_of_the_quarters_last_month(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    assert "quarterly_report_due" not in await _run(tasks_client, scene, date(2026, 9, 17))
    counts = await _run(tasks_client, scene, date(2026, 9, 18))
    # Every unit on a task in progress: shichang, zhengwu, yunzhongqu, shuiwu, hexiqu.
    assert counts["quarterly_report_due"] == 5
    assert "quarterly_report_due" not in await _run(tasks_client, scene, date(2026, 9, 25))
    assert "quarterly_report_due" not in await _run(tasks_client, scene, date(2026, 8, 20))


async def test_rating_window_closing_and_supervision_due(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    window = RatingWindow(
        programme_id=scene.programme.id,
        code="2026-Q3",
        name="2026年第三季度评分",
        opens_on=date(2026, 9, 1),
        closes_on=date(2026, 9, 30),
    )
    milestone = await session.scalar(
        select(Milestone.id).where(Milestone.task_id == scene.tasks[2].id)
    )
    supervision = Supervision(
        programme_id=scene.programme.id,
        unit_id=scene.units["shuiwu"].id,
        level=SupervisionLevel.first,
        milestone_id=milestone,
        reason="实施细则未按期出台",
        issued_on=date(2026, 9, 20),
        due_on=date(2026, 9, 29),
        issued_by="office",
    )
    session.add_all([window, supervision])
    await session.flush()
    counts = await _run(tasks_client, scene, date(2026, 9, 27))
    assert counts["rating_window_closing"] == 2  # shichang and shuiwu rate their units
    assert counts["supervision_due"] == 1
    again = await _run(tasks_client, scene, date(2026, 9, 28))
    assert "rating_window_closing" not in again
    assert "supervision_due" not in again
    inbox = await _inbox(session, scene)
    assert inbox[("shuiwu", "supervision_due")] == 1
    assert inbox[("zhengwu", "rating_window_closing")] == 0


async def test_only_the_office_or_the_scheduler_runs_reminders(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    for who in ("shichang", "viewer"):
        response = await tasks_client.post(RUN, headers=scene.headers(who))
        assert response.status_code == 403
    response = await tasks_client.post(
        RUN, params={"as_of": "2026-03-25"}, headers=scene.headers("staff")
    )
    assert response.status_code == 200


async def test_no_overdue_reminder_once_seriously_lagging(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    """Past the programme's 30 days the lagging sweep and supervision speak instead: on 05-05
    task 1's first milestone (03-31) is 35 days late and not reminded; task 2's (04-30) is."""
    counts = await _run(tasks_client, scene, date(2026, 5, 5), "milestone")
    assert counts == {"milestone_overdue": 2}  # shuiwu and hexiqu, not task 1's three units


OA_SECRET = "whsec_" + "c2VjcmV0LWZvci1vYS13ZWJob29rLXRlc3Q="


async def test_reminders_reach_the_oa_system_signed_and_survive_its_outage(
    make_client: Callable[[AppFactory], httpx.AsyncClient],
    scene: Scene,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    configured = settings.model_copy(
        update={"oa_webhook_url": "http://oa/hooks", "oa_webhook_secret": OA_SECRET}
    )
    tasks_client = make_client(lambda _: create_app(configured))
    counts = await _run(tasks_client, scene, date(2026, 3, 31), "milestone")
    assert counts == {"milestone_due_today": 3}
    # Queued in the transaction that put them in the inboxes: nothing is lost while OA is down.
    queued = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.consumer == OA_CONSUMER))
    ).all()
    assert sorted(e.unit_code or "" for e in queued) == ["shichang", "yunzhongqu", "zhengwu"]

    received: list[tuple[str, dict[str, object]]] = []
    up = {"ok": False}
    oa = FastAPI()

    @oa.post("/hooks")
    async def hook(request: Request) -> Response:
        body = (await request.body()).decode()
        payload = Webhook(OA_SECRET).verify(body, dict(request.headers))  # raises if unsigned
        if not up["ok"]:
            return Response(status_code=503)
        received.append((request.headers["webhook-id"], payload))
        return Response(status_code=204)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=oa)) as client:
        relay = OutboxRelay(
            sessionmaker, client, configured, "reform_tasks", ServiceTokens(configured)
        )
        assert await relay.deliver_batch() == 0  # the OA system is down
        for event in queued:
            await session.refresh(event)
            assert (event.delivered_at, event.attempts) == (None, 1)
            assert event.last_error == "HTTP 503"
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.consumer == OA_CONSUMER)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        up["ok"] = True
        assert await relay.deliver_batch() == 3
        assert await relay.deliver_batch() == 0  # delivered once

    messages = {
        m.id: m
        for m in await session.scalars(
            select(UnitMessage).where(UnitMessage.kind == "milestone_due_today")
        )
    }
    assert sorted(webhook_id for webhook_id, _ in received) == sorted(
        f"msg_reminder_{i}" for i in messages
    )
    for _, payload in received:
        assert payload["type"] == "reminder.milestone_due_today"
        data = payload["data"]
        assert isinstance(data, dict)
        assert (
            data["title"]
            == messages[data["id"]].title
            == "【今日到期】任务1第1个时间节点“制定工作方案”"
        )
        assert data["link"] == "/tasks/1"
