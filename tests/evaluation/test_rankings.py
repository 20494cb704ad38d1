"""Rankings: best first, top/bottom N flagged, trend against the previous period, and the
enterprise survey's bottom-five-twice accountability flag (seed 002)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from shared.models import Role, UnitKind
from tests.conftest import Factory
from tests.evaluation.conftest import Events

OFFICE = ("office", Role.office_admin, "gaigeban")


async def test_ranking_orders_flags_and_shows_trend(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    codes = [f"qu{i}" for i in range(7)]
    for code in codes:
        await factory.unit(code, UnitKind.district, name=f"{code}区")
    # Q2: qu0 worst; Q3: qu6 worst, qu0 recovered.
    for i, code in enumerate(codes):
        for _ in range(6 - i):
            await events.send(
                "milestone.lagging", code, datetime(2026, 5, 5, tzinfo=UTC), {"severity": "lagging"}
            )
        for _ in range(i):
            await events.send(
                "milestone.lagging", code, datetime(2026, 8, 5, tzinfo=UTC), {"severity": "lagging"}
            )
    response = await evaluation_client.get(
        "/api/evaluation/v1/rankings",
        params={"period": "2026-Q3", "kind": "district"},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200, response.text
    ranking = response.json()
    assert ranking["previous_period"] == "2026-Q2"
    order = [i["unit_code"] for i in ranking["items"]]
    assert order == codes
    first, last = ranking["items"][0], ranking["items"][-1]
    assert first["top"]
    assert not first["bottom"]
    assert last["bottom"]
    assert first["previous_rank"] == 7
    assert first["rank_change"] == 6
    assert last["rank_change"] == -6


async def test_survey_bottom_five_twice_in_a_row_is_flagged(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    office = factory.headers(*OFFICE)
    codes = [f"bumen{i}" for i in range(8)]
    for code in codes:
        await factory.unit(code, UnitKind.department)
    # bumen0..4 bottom five in 2025-H2; bumen0, bumen1 again bottom in 2026-H1.
    scores_h2 = dict(zip(codes, [60, 61, 62, 63, 64, 90, 91, 92], strict=True))
    scores_h1 = dict(zip(codes, [60, 61, 95, 96, 97, 62, 63, 64], strict=True))
    for period, scores in (("2025-H2", scores_h2), ("2026-H1", scores_h1)):
        for code, score in scores.items():
            response = await evaluation_client.post(
                "/api/evaluation/v1/surveys",
                json={"period": period, "unit_code": code, "score": score, "respondents": 100},
                headers=office,
            )
            assert response.status_code == 201, response.text
    ranking = await evaluation_client.get(
        "/api/evaluation/v1/rankings",
        params={"period": "2026-H1", "kind": "unit"},
        headers=office,
    )
    flagged = {i["unit_code"] for i in ranking.json()["items"] if i["survey_accountability"]}
    assert flagged == {"bumen0", "bumen1"}


async def test_ranking_exports_as_xlsx_with_the_same_order(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    for code in ("qa", "qb"):
        await factory.unit(code, UnitKind.district, name=f"{code}区人民政府")
    await events.send(
        "milestone.lagging", "qa", datetime(2026, 3, 3, tzinfo=UTC), {"severity": "lagging"}
    )
    response = await evaluation_client.get(
        "/api/evaluation/v1/rankings/export",
        params={"period": "2026", "kind": "district"},
        headers=factory.headers(*OFFICE),
    )
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows] == [(1, "qb", 80), (2, "qa", 79.5)]
