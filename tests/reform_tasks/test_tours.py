"""The "4+2" 项目观摩 (seed 003_fe0a5556b3029276.txt item 21, issue #27): a round per half-year with
the office's default score sheet (editable until scoring starts), the projects each district
shows (4 new + 2 completed expected: a warning otherwise), the inspection team's points per
district and item (office only, 0..the item's maximum), and publishing, which locks the scores,
ranks the districts and makes each district's result a component of its evaluation score —
exactly as a full recompute has it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.tour.service import competition_ranks
from shared import clock
from shared.models import (
    AuditLog,
    OutboxEvent,
    Project,
    ProjectLevel,
    ProjectStage,
    Role,
    TourScore,
)
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1/tours"
EV = "/api/evaluation/v1"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.freeze(datetime(2026, 7, 6, 2, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _projects(session: AsyncSession, scene: Scene, district: str, n: int) -> list[int]:
    ids = []
    for i in range(n):
        project = Project(
            programme_id=scene.programme.id,
            code=f"{district[:4]}{i}",
            name=f"{district}重点项目{i}",
            level=ProjectLevel.municipal,
            district_unit_id=scene.units[district].id,
            lead_unit_id=scene.units[district].id,
            stage=ProjectStage.completed if i >= 4 else ProjectStage.started,
        )
        session.add(project)
        await session.flush()
        ids.append(project.id)
    return ids


async def _round(client: httpx.AsyncClient, scene: Scene, **body: Any) -> dict[str, Any]:
    response = await client.post(
        API,
        json={"kind": "mid_year", "held_on": "2026-07-03", **body},
        headers=scene.headers("office"),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _score(
    client: httpx.AsyncClient,
    scene: Scene,
    tour: dict[str, Any],
    district: str,
    points: list[float],
    who: str = "office",
) -> httpx.Response:
    body = {
        "scores": [
            {"item_id": item["id"], "points": p}
            for item, p in zip(tour["items"], points, strict=True)
        ]
    }
    return await client.put(
        f"{API}/{tour['id']}/districts/{district}/scores", json=body, headers=scene.headers(who)
    )


def _district(tour: dict[str, Any], code: str) -> dict[str, Any]:
    return next(d for d in tour["districts"] if d["unit_code"] == code)


async def test_a_round_starts_with_the_office_sheet_editable_until_the_first_score(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    tour = await _round(tasks_client, scene)
    assert tour["name"] == "2026年年中“4+2”项目观摩"
    assert [(i["name"], i["max_points"]) for i in tour["items"]] == [
        ("项目质量", 30.0),
        ("建设进度", 25.0),
        ("投资强度", 20.0),
        ("要素保障", 15.0),
        ("观摩组织", 10.0),
    ]
    assert (tour["max_total"], tour["sheet_editable"], tour["status"]) == (100.0, True, "open")
    assert [d["unit_code"] for d in tour["districts"]] == ["hexiqu", "yunzhongqu"]
    sheet = {
        "items": [{"name": "项目质量", "max_points": 60}, {"name": "建设进度", "max_points": 40}]
    }
    edited = await tasks_client.put(
        f"{API}/{tour['id']}/sheet", json=sheet, headers=scene.headers("office")
    )
    assert edited.status_code == 200, edited.text
    tour = edited.json()
    assert [(i["name"], i["max_points"]) for i in tour["items"]] == [
        ("项目质量", 60.0),
        ("建设进度", 40.0),
    ]
    assert (await _score(tasks_client, scene, tour, "hexiqu", [50, 30])).status_code == 200
    fixed = await tasks_client.put(
        f"{API}/{tour['id']}/sheet", json=sheet, headers=scene.headers("office")
    )
    assert fixed.status_code == 409
    listed = await tasks_client.get(API, headers=scene.headers("keji"))
    assert [(r["id"], r["sheet_editable"]) for r in listed.json()["items"]] == [(tour["id"], False)]
    # One round of each kind per programme, within its year.
    again = await tasks_client.post(
        API, json={"kind": "mid_year", "held_on": "2026-07-08"}, headers=scene.headers("office")
    )
    assert again.status_code == 409
    outside = await tasks_client.post(
        API, json={"kind": "year_end", "held_on": "2027-01-05"}, headers=scene.headers("office")
    )
    assert outside.status_code == 422


@pytest.mark.parametrize(
    ("points", "field"),
    [([31, 0, 0, 0, 0], "points"), ([30.5, 25.01, 0, 0, 0], "points"), ([-1, 0, 0, 0, 0], None)],
)
async def test_a_score_above_the_items_maximum_is_refused_and_nothing_is_kept(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
    points: list[float],
    field: str | None,
) -> None:
    tour = await _round(tasks_client, scene)
    refused = await _score(tasks_client, scene, tour, "yunzhongqu", points)
    assert refused.status_code == 422, refused.text
    if field is not None:
        assert any(e["loc"][-1] == field for e in refused.json()["errors"])
        assert "超过满分" in refused.json()["detail"]
    assert await session.scalar(select(func.count()).select_from(TourScore)) == 0
    unknown = await tasks_client.put(
        f"{API}/{tour['id']}/districts/yunzhongqu/scores",
        json={"scores": [{"item_id": 999999, "points": 1}]},
        headers=scene.headers("office"),
    )
    assert unknown.status_code == 422
    not_a_district = await _score(tasks_client, scene, tour, "keji", [1, 1, 1, 1, 1])
    assert not_a_district.status_code == 404


async def test_a_mix_other_than_four_new_and_two_completed_is_a_warning_not_a_refusal(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    tour = await _round(tasks_client, scene)
    ids = await _projects(session, scene, "yunzhongqu", 6)
    url = f"{API}/{tour['id']}/districts/yunzhongqu/projects"
    three_new = [{"project_id": i, "role": "new_start"} for i in ids[:3]] + [
        {"project_id": i, "role": "completed"} for i in ids[4:]
    ]
    shown = await tasks_client.put(
        url, json={"projects": three_new}, headers=scene.headers("office")
    )
    assert shown.status_code == 200, shown.text
    district = _district(shown.json(), "yunzhongqu")
    assert len(district["projects"]) == 5
    assert district["mix_warning"] == (
        "云中区展示新开工项目3个、竣工项目2个，与“4+2”（4个新开工、2个竣工项目）不符"
    )
    four_two = [{"project_id": i, "role": "new_start"} for i in ids[:4]] + [
        {"project_id": i, "role": "completed"} for i in ids[4:]
    ]
    shown = await tasks_client.put(
        url, json={"projects": four_two}, headers=scene.headers("office")
    )
    assert _district(shown.json(), "yunzhongqu")["mix_warning"] is None
    # A project of another district is not this district's to show.
    [other] = await _projects(session, scene, "hexiqu", 1)
    wrong = await tasks_client.put(
        f"{API}/{tour['id']}/districts/yunzhongqu/projects",
        json={"projects": [{"project_id": other, "role": "new_start"}]},
        headers=scene.headers("office"),
    )
    assert wrong.status_code == 422


async def test_only_the_office_scores_and_a_district_sees_its_own_points_once_published(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    tour = await _round(tasks_client, scene)
    url = f"{API}/{tour['id']}"
    district = scene.headers("yunzhongqu", Role.unit)
    assert (
        await _score(tasks_client, scene, tour, "yunzhongqu", [30, 25, 20, 15, 10], "yunzhongqu")
    ).status_code == 403
    assert (await _score(tasks_client, scene, tour, "yunzhongqu", [24, 20, 16, 12, 8])).is_success
    # Not published: nothing incomplete goes out, and a district sees no points yet.
    incomplete = await tasks_client.post(f"{url}/publish", headers=scene.headers("office"))
    assert incomplete.status_code == 409
    assert "河西区" in incomplete.json()["detail"]
    assert (await _score(tasks_client, scene, tour, "hexiqu", [18, 15, 12, 9, 6])).is_success
    before = (await tasks_client.get(url, headers=district)).json()
    assert {d["unit_code"]: (d["scores"], d["total"]) for d in before["districts"]} == {
        "hexiqu": (None, None),
        "yunzhongqu": (None, None),
    }
    assert (await tasks_client.post(f"{url}/publish", headers=district)).status_code == 403
    published = await tasks_client.post(f"{url}/publish", headers=scene.headers("office"))
    assert published.status_code == 200, published.text
    # Ranked by total; every district's total and rank are out; points only the district's own.
    seen = (await tasks_client.get(url, headers=district)).json()
    assert [(d["unit_code"], d["total"], d["rank"]) for d in seen["districts"]] == [
        ("yunzhongqu", 80.0, 1),
        ("hexiqu", 60.0, 2),
    ]
    assert [s["points"] for s in _district(seen, "yunzhongqu")["scores"]] == [24, 20, 16, 12, 8]
    assert _district(seen, "hexiqu")["scores"] is None
    assert _district(
        (await tasks_client.get(url, headers=scene.headers("viewer"))).json(), "hexiqu"
    )["scores"]
    # Published: the scores are locked.
    assert (
        await _score(tasks_client, scene, tour, "hexiqu", [30, 25, 20, 15, 10])
    ).status_code == 409
    assert (
        await tasks_client.post(f"{url}/publish", headers=scene.headers("office"))
    ).status_code == 409
    actions = await session.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "tour_round").order_by(AuditLog.id)
    )
    assert list(actions) == ["tour.created", "tour.scored", "tour.scored", "tour.published"]


async def _relay(client: httpx.AsyncClient, scene: Scene, session: AsyncSession) -> None:
    """Deliver the outbox's tour.published events to evaluation as the relay does."""
    rows = await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "tour.published"))
    headers = scene.factory.headers("service:reform_tasks", Role.service, None)
    for row in rows:
        envelope = {
            "id": str(row.id),
            "type": row.type,
            "occurred_at": row.occurred_at.isoformat(),
            "programme": row.programme,
            "unit_code": row.unit_code,
            "data": row.data,
        }
        response = await client.post("/internal/events", json=envelope, headers=headers)
        assert response.status_code == 200, response.text


async def _scores(client: httpx.AsyncClient, scene: Scene, period: str) -> dict[str, Any]:
    response = await client.get(
        f"{EV}/scores", params={"period": period}, headers=scene.headers("office")
    )
    assert response.status_code == 200, response.text
    return {i["unit_code"]: i for i in response.json()["items"]}


def _tour(score: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in score["components"] if c["key"] == "tour")


async def test_publishing_moves_the_district_scores_exactly_as_a_full_recompute(
    tasks_client: httpx.AsyncClient,
    evaluation_client: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
) -> None:
    tour = await _round(tasks_client, scene)
    await _score(tasks_client, scene, tour, "yunzhongqu", [24, 20, 16, 12, 8])  # 80 of 100
    await _score(tasks_client, scene, tour, "hexiqu", [18, 15, 12, 9, 6])  # 60 of 100
    before = await _scores(evaluation_client, scene, "2026-Q3")
    assert _tour(before["yunzhongqu"]) | {"detail": None} == {
        "key": "tour",
        "name": "“4+2”项目观摩",
        "points": 5.0,
        "max": 5.0,
        "detail": None,
        "no_data": True,
    }
    published = await tasks_client.post(
        f"{API}/{tour['id']}/publish", headers=scene.headers("office")
    )
    assert published.status_code == 200, published.text
    await _relay(evaluation_client, scene, session)

    live = {p: await _scores(evaluation_client, scene, p) for p in ("2026-07", "2026-Q3", "2026")}
    for period, scores in live.items():
        # 5 points (office default) × the share of the sheet: 80 % and 60 %.
        assert (_tour(scores["yunzhongqu"])["points"], _tour(scores["hexiqu"])["points"]) == (
            4.0,
            3.0,
        ), period
        assert scores["yunzhongqu"]["total"] == before["yunzhongqu"]["total"] - 1
        assert _tour(scores["shichang"])["max"] == 0  # departments are not toured
    june = await _scores(evaluation_client, scene, "2026-06")  # before the round: not in it
    assert _tour(june["yunzhongqu"])["no_data"] is True

    explained = await evaluation_client.get(
        f"{EV}/units/yunzhongqu/explain",
        params={"period": "2026-Q3"},
        headers=scene.headers("yunzhongqu", Role.unit),
    )
    assert explained.status_code == 200, explained.text
    component = next(c for c in explained.json()["components"] if c["key"] == "tour")
    assert "观摩" in component["formula"]
    assert [(e["event_type"], e["day"], e["rule"]) for e in component["entries"]] == [
        (
            "tour.published",
            "2026-07-03",
            "2026年年中“4+2”项目观摩：80 / 100 分，第1名（共2个区县）",
        )
    ]

    recomputed = await evaluation_client.post(
        f"{EV}/recompute", params={"programme": "2026"}, headers=scene.headers("office")
    )
    assert recomputed.status_code in (200, 202), recomputed.text
    for period, scores in live.items():
        again = await _scores(evaluation_client, scene, period)
        assert {c: (s["total"], s["components"]) for c, s in again.items()} == {
            c: (s["total"], s["components"]) for c, s in scores.items()
        }, period


async def _sheet_rows(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[Any]:
    response = await client.get(f"{url}/xlsx", headers=headers)
    assert response.status_code == 200, response.text
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    return [row for row in sheet.iter_rows(min_row=4, values_only=True)]


async def test_the_spreadsheet_shows_what_the_caller_may_see_and_no_formula(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    tour = await _round(tasks_client, scene)
    url = f"{API}/{tour['id']}"
    await _score(tasks_client, scene, tour, "yunzhongqu", [24, 20, 16, 12, 8])
    await _score(tasks_client, scene, tour, "hexiqu", [18, 15, 12, 9, 6])
    office = await _sheet_rows(tasks_client, url, scene.headers("office"))
    assert [row[:8] for row in office] == [
        (None, "河西区人民政府", 18, 15, 12, 9, 6, None),
        (None, "云中区人民政府", 24, 20, 16, 12, 8, None),
    ]
    district = scene.headers("yunzhongqu", Role.unit)
    before = await _sheet_rows(tasks_client, url, district)
    assert [row[2:8] for row in before] == [(None,) * 6] * 2  # nothing before publishing
    await tasks_client.post(f"{url}/publish", headers=scene.headers("office"))
    after = await _sheet_rows(tasks_client, url, district)
    assert [row[:8] for row in after] == [
        (1, "云中区人民政府", 24, 20, 16, 12, 8, 80),
        (2, "河西区人民政府", None, None, None, None, None, 60),
    ]


async def test_the_demo_has_a_published_round_told_to_evaluation_and_instructions(
    session: AsyncSession,
) -> None:
    """`make up`: the 年中 round scored for every district and published (its results in the
    outbox for evaluation), and leader instructions, one acknowledged, one overdue."""
    from datetime import date

    from shared.demo.loader import load
    from shared.models import Instruction, InstructionStatus, TourRound, TourStatus, Unit, UnitKind

    await load(session, password="pw-demo", as_of=date(2026, 11, 24))
    tour = await session.scalar(select(TourRound))
    assert tour is not None
    assert (tour.status, str(tour.held_on)) == (TourStatus.published, "2026-07-03")
    districts = await session.scalar(
        select(func.count()).select_from(Unit).where(Unit.kind == UnitKind.district)
    )
    told = await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "tour.published"))
    assert sorted(e.data["rank"] for e in told) == list(range(1, int(districts or 0) + 1))
    instructions = (await session.scalars(select(Instruction))).all()
    assert [i.status for i in instructions].count(InstructionStatus.acknowledged) == 1
    assert any(
        i.status is InstructionStatus.open and i.due_on < date(2026, 11, 24) for i in instructions
    )


@given(
    st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=3),
        st.decimals(min_value=0, max_value=100, places=2),
        min_size=1,
        max_size=12,
    )
)
def test_districts_rank_by_total_and_ties_share_a_rank(totals: dict[str, Any]) -> None:
    ranks = competition_ranks(totals)
    assert min(ranks.values()) == 1
    for a, total_a in totals.items():
        for b, total_b in totals.items():
            if total_a == total_b:
                assert ranks[a] == ranks[b]
            elif total_a > total_b:
                assert ranks[a] < ranks[b]
        # Competition ranking: a rank counts the districts strictly ahead (1, 2, 2, 4).
        assert ranks[a] == 1 + sum(1 for t in totals.values() if t > total_a)
