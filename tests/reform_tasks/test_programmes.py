"""Starting a new year (issue #21): the office creates a programme, optionally taking another's
domains and settings; a dry run previews it; one programme per code and per year."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.programme.carry_over import replanned
from shared import clock
from shared.models import AuditLog, Domain, Milestone, OutboxEvent, Programme, Task
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1/programmes"


@pytest.fixture
def frozen_december() -> Iterator[None]:
    clock.freeze(datetime(2026, 12, 5, 2, tzinfo=UTC))
    yield
    clock.freeze(None)


def _year(code: str = "2027", year: int = 2027, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"{year}年一号改革工程",
        "year": year,
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31",
        "benchmark_city": "深圳",
        **extra,
    }


async def test_the_office_starts_next_year_from_this_years_domains_and_settings(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    await tasks_client.put(
        f"{API}/2026/settings",
        json={"lagging_after_days": 5, "seriously_lagging_after_days": 40},
        headers=office,
    )
    preview = await tasks_client.post(
        API, json=_year(copy_from="2026", dry_run=True), headers=office
    )
    assert preview.status_code == 200, preview.text
    assert [d["code"] for d in preview.json()["domains"]] == ["shangshi", "nashui"]
    assert await session.scalar(select(Programme).where(Programme.code == "2027")) is None

    created = await tasks_client.post(API, json=_year(copy_from="2026"), headers=office)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["programme"]["settings"] == {
        "lagging_after_days": 5,
        "seriously_lagging_after_days": 40,
        "warning_yellow_behind_points": 10,
        "warning_red_behind_points": 30,
        "warning_red_late_months": 3,
    }
    domains = await tasks_client.get(
        "/api/tasks/v1/domains", params={"programme": "2027"}, headers=office
    )
    assert [(d["code"], d["name"], d["ordinal"]) for d in domains.json()["items"]] == [
        ("shangshi", "商事登记", 1),
        ("nashui", "纳税", 2),
    ]
    # The newest programme is the default one now; 2026 keeps its own domains.
    listed = await tasks_client.get(API, headers=office)
    assert [p["code"] for p in listed.json()["items"]] == ["2027", "2026"]
    count = select(func.count()).select_from(Domain)
    assert await session.scalar(count) == 4
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "programme.created"))
    assert audit is not None
    assert audit.after["domains"] == ["shangshi", "nashui"]


async def test_evaluation_is_told_of_a_new_programme_and_of_none_previewed(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """`programme.created` in the creating transaction (evaluation copies the rule set of
    `copy_from`); a dry run tells nobody."""
    office = scene.headers("office")
    events = select(OutboxEvent).where(OutboxEvent.type == "programme.created")
    await tasks_client.post(API, json=_year(copy_from="2026", dry_run=True), headers=office)
    assert (await session.scalars(events)).all() == []
    for body in (_year(copy_from="2026"), _year("2028", 2028)):
        created = await tasks_client.post(API, json=body, headers=office)
        assert created.status_code == 201, created.text
    sent = (await session.scalars(events.order_by(OutboxEvent.occurred_at))).all()
    assert [(e.programme, e.consumer, e.data) for e in sent] == [
        (
            "2027",
            "evaluation",
            {
                "code": "2027",
                "year": 2027,
                "starts_on": "2027-01-01",
                "ends_on": "2027-12-31",
                "copy_from": "2026",
            },
        ),
        (
            "2028",
            "evaluation",
            {
                "code": "2028",
                "year": 2028,
                "starts_on": "2028-01-01",
                "ends_on": "2028-12-31",
                "copy_from": None,
            },
        ),
    ]


async def test_a_programme_without_copy_starts_empty_with_default_settings(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    created = await tasks_client.post(
        API, json=_year("2028", 2028), headers=scene.headers("office")
    )
    assert created.status_code == 201, created.text
    assert created.json()["domains"] == []
    assert created.json()["programme"]["settings"] == {
        "lagging_after_days": 0,
        "seriously_lagging_after_days": 30,
        "warning_yellow_behind_points": 10,
        "warning_red_behind_points": 30,
        "warning_red_late_months": 3,
    }


async def test_bad_programmes_are_refused_and_nothing_is_written(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    same_code = await tasks_client.post(API, json=_year("2026", 2029), headers=office)
    assert same_code.status_code == 409
    assert "代码与改革工程" in same_code.json()["detail"]
    same_year = await tasks_client.post(API, json=_year("y2026", 2026), headers=office)
    assert same_year.status_code == 409
    assert "年度与改革工程" in same_year.json()["detail"]
    unknown = await tasks_client.post(API, json=_year(copy_from="2019"), headers=office)
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "改革工程 2019 不存在")
    backwards = await tasks_client.post(
        API, json=_year(starts_on="2027-12-31", ends_on="2027-01-01"), headers=office
    )
    assert backwards.status_code == 422
    for who in (scene.headers("staff"), scene.headers("shichang")):
        assert (await tasks_client.post(API, json=_year(), headers=who)).status_code == 403
    assert await session.scalar(select(func.count()).select_from(Programme)) == 1


async def test_a_year_created_ahead_is_not_the_default_before_it_starts(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen_december: None
) -> None:
    office = scene.headers("office")
    created = await tasks_client.post(API, json=_year(copy_from="2026"), headers=office)
    assert created.status_code == 201, created.text
    default = await tasks_client.get("/api/tasks/v1/tasks", headers=office)
    assert default.json()["total"] == 2  # still 2026's two tasks in December 2026
    chosen = await tasks_client.get(
        "/api/tasks/v1/tasks", params={"programme": "2027"}, headers=office
    )
    assert chosen.json()["total"] == 0
    clock.freeze(datetime(2027, 1, 1, 1, tzinfo=UTC))  # 09:00 on New Year's Day in Shanghai
    assert (await tasks_client.get("/api/tasks/v1/tasks", headers=office)).json()["total"] == 0


async def test_the_office_adds_renames_reorders_and_deletes_domains(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    office = scene.headers("office")
    domains = f"{API}/2026/domains"
    added = await tasks_client.post(
        domains, json={"code": "zhengce", "name": "政策兑现"}, headers=office
    )
    assert added.status_code == 201, added.text
    assert added.json() == {"code": "zhengce", "name": "政策兑现", "ordinal": 3}
    twice = await tasks_client.post(
        domains, json={"code": "zhengce", "name": "别的"}, headers=office
    )
    assert (twice.status_code, twice.json()["detail"]) == (409, "领域代码 zhengce 已存在")
    same_name = await tasks_client.post(
        domains, json={"code": "qita", "name": "纳税"}, headers=office
    )
    assert (same_name.status_code, same_name.json()["detail"]) == (
        409,
        "领域名称“纳税”已被领域 nashui 使用",
    )

    renamed = await tasks_client.patch(
        f"{domains}/zhengce", json={"name": "惠企政策兑现"}, headers=office
    )
    assert renamed.json()["name"] == "惠企政策兑现"
    order = await tasks_client.put(
        f"{domains}/order", json={"codes": ["zhengce", "shangshi", "nashui"]}, headers=office
    )
    assert [(d["code"], d["ordinal"]) for d in order.json()] == [
        ("zhengce", 1),
        ("shangshi", 2),
        ("nashui", 3),
    ]
    partial = await tasks_client.put(
        f"{domains}/order", json={"codes": ["zhengce"]}, headers=office
    )
    assert partial.status_code == 422
    assert partial.json()["errors"][0]["loc"] == ["body", "codes"]

    # A domain with tasks stays; an empty one goes and the rest close up.
    busy = await tasks_client.delete(f"{domains}/shangshi", headers=office)
    assert (busy.status_code, busy.json()["detail"]) == (
        409,
        "领域“商事登记”下有 1 项任务，不能删除",
    )
    gone = await tasks_client.delete(f"{domains}/zhengce", headers=office)
    assert gone.status_code == 204
    listed = await tasks_client.get(
        "/api/tasks/v1/domains", params={"programme": "2026"}, headers=office
    )
    assert [(d["code"], d["ordinal"]) for d in listed.json()["items"]] == [
        ("shangshi", 1),
        ("nashui", 2),
    ]
    assert (await tasks_client.delete(f"{domains}/zhengce", headers=office)).status_code == 404
    for who in (scene.headers("staff"), scene.headers("shichang")):
        refused = await tasks_client.post(domains, json={"code": "x1", "name": "某"}, headers=who)
        assert refused.status_code == 403
    actions = (
        await session.scalars(select(AuditLog.action).where(AuditLog.action.like("domain.%")))
    ).all()
    assert sorted(actions) == [
        "domain.created",
        "domain.deleted",
        "domain.renamed",
        "domain.reordered",
    ]


async def test_unfinished_tasks_are_carried_into_the_new_year_with_their_open_milestones(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """Task 1: its first milestone done, the second open; task 2 closed out — not carried."""
    office = scene.headers("office")
    first = (
        await session.scalars(
            select(Milestone)
            .where(Milestone.task_id == scene.tasks[1].id)
            .order_by(Milestone.ordinal)
        )
    ).all()
    first[0].completed_on = date(2026, 3, 20)
    scene.tasks[2].closed_out_on = date(2026, 8, 1)
    await session.flush()

    preview = await tasks_client.post(
        API, json=_year(copy_from="2026", carry_over=True, dry_run=True), headers=office
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["carried"] == [
        {
            "from_number": 1,
            "number": 1,
            "title": "企业开办全程网办",
            "deadline": "2027-06-30",
            "milestones": 1,
        }
    ]
    assert await session.scalar(select(func.count()).select_from(Task)) == 2  # nothing written

    created = await tasks_client.post(
        API, json=_year(copy_from="2026", carry_over=True), headers=office
    )
    assert created.status_code == 201, created.text
    task = (
        await tasks_client.get(
            "/api/tasks/v1/tasks/1", params={"programme": "2027"}, headers=office
        )
    ).json()
    assert (task["title"], task["lead_unit"]["code"], task["domain"]["code"]) == (
        "企业开办全程网办",
        "shichang",
        "shangshi",
    )
    assert [u["code"] for u in task["responsible_units"]] == ["yunzhongqu", "zhengwu"]
    assert [
        (m["ordinal"], m["title"], m["planned_date"], m["baseline_date"])
        for m in task["milestones"]
    ] == [(1, "系统上线运行", "2027-06-30", "2027-06-30")]
    carried = await session.scalar(
        select(Task).where(Task.number == 1, Task.programme_id != scene.programme.id)
    )
    assert carried is not None
    assert carried.continues_task_id == scene.tasks[1].id
    new_line = await tasks_client.get(
        "/api/tasks/v1/tasks/1/timeline", params={"programme": "2027"}, headers=office
    )
    assert any(
        e["kind"] == "task.carried_in" and "第1项任务结转" in e["summary"]
        for e in new_line.json()["items"]
    )
    old_line = await tasks_client.get(
        "/api/tasks/v1/tasks/1/timeline", params={"programme": "2026"}, headers=office
    )
    assert any(e["kind"] == "task.carried_over" for e in old_line.json()["items"])
    # Carried once: another year from 2026 with carry-over is refused, nothing written.
    again = await tasks_client.post(
        API, json=_year("2028", 2028, copy_from="2026", carry_over=True), headers=office
    )
    assert again.status_code == 409
    assert "已结转至“2027年一号改革工程”（2027）" in again.json()["detail"]
    # Last year's task is as it was.
    old = (
        await tasks_client.get(
            "/api/tasks/v1/tasks/1", params={"programme": "2026"}, headers=office
        )
    ).json()
    assert [m["completed_on"] for m in old["milestones"]] == ["2026-03-20", None]


async def test_each_carried_task_keeps_its_own_units_milestones_and_timeline(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    """Several tasks carried at once (written together): each new task is its own old task's —
    units, milestones, link and timeline entry — numbered in the old numbers' order."""
    office = scene.headers("office")
    created = await tasks_client.post(
        API, json=_year(copy_from="2026", carry_over=True), headers=office
    )
    assert created.status_code == 201, created.text
    assert [(c["from_number"], c["number"]) for c in created.json()["carried"]] == [(1, 1), (2, 2)]
    for number in (1, 2):
        old, new = [
            (
                await tasks_client.get(
                    f"/api/tasks/v1/tasks/{number}", params={"programme": year}, headers=office
                )
            ).json()
            for year in ("2026", "2027")
        ]
        assert (new["title"], new["lead_unit"], new["responsible_units"]) == (
            old["title"],
            old["lead_unit"],
            old["responsible_units"],
        )
        assert [m["title"] for m in new["milestones"]] == [
            m["title"] for m in old["milestones"] if m["completed_on"] is None
        ]
        line = await tasks_client.get(
            f"/api/tasks/v1/tasks/{number}/timeline", params={"programme": "2027"}, headers=office
        )
        assert [e["summary"] for e in line.json()["items"] if e["kind"] == "task.carried_in"] == [
            f"由{scene.programme.name}第{number}项任务结转"
        ]


@given(
    day=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    year=st.integers(2021, 2030),
    start=st.integers(0, 120),
    end=st.integers(0, 120),
)
def test_a_date_is_replanned_into_the_new_year_within_its_range(
    day: date, year: int, start: int, end: int
) -> None:
    """Within the programme's dates always; a date already inside stays; otherwise the same
    month and day in the programme's year (29 February → the 28th), clamped to its dates."""
    programme = Programme(
        year=year,
        starts_on=date(year, 1, 1) + timedelta(days=start),
        ends_on=date(year, 12, 31) - timedelta(days=end),
    )
    moved = replanned(day, programme)
    assert programme.starts_on <= moved <= programme.ends_on
    if programme.starts_on <= day <= programme.ends_on:
        assert moved == day
    same_day = (day.month, day.day) if (day.month, day.day) != (2, 29) else (2, 28)
    inside = date(year, *same_day)
    if programme.starts_on <= inside <= programme.ends_on and day.year != year:
        assert moved == inside
