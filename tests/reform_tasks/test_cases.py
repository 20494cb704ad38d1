"""The register of typical cases (典型案例; issue #27, seed 002: "每季度至少通报一次破坏营商
环境的典型案例，并通过媒体向社会公开", "一案双查"): the office writes, a unit reads the cases
about itself, a viewer only the public ones; 一案双查 results belong to a case that damaged the
business environment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared import clock
from shared.models import Role
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"
CASE = {
    "kind": "negative",
    "title": "河西区某窗口推诿企业办事",
    "facts": "企业反映河西区某审批窗口工作人员多次以材料不全为由推诿，致使项目开工延误一个月。",
    "unit": "hexiqu",
    "handling": "责令限期整改，向企业致歉并当场办结。",
    "people_accountability": "对窗口负责人诫勉谈话，对直接责任人通报批评",
    "unit_accountability": "责成河西区政务服务中心党支部作出书面检查",
    "quarter": "2026-Q3",
}


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.freeze(datetime(2026, 9, 20, 2, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _registered(client: httpx.AsyncClient, scene: Scene, **changes: Any) -> dict[str, Any]:
    response = await client.post(
        f"{API}/cases", json={**CASE, **changes}, headers=scene.headers("office")
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_office_registers_a_case_with_its_double_accountability(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    case = await _registered(tasks_client, scene)
    assert (case["unit"], case["unit_name"], case["public"]) == ("hexiqu", "河西区", False)
    assert case["people_accountability"].startswith("对窗口负责人诫勉谈话")
    rewritten = await tasks_client.put(
        f"{API}/cases/{case['id']}", json={**CASE, "public": True}, headers=scene.headers("office")
    )
    assert rewritten.status_code == 200, rewritten.text
    assert rewritten.json()["public"] is True
    unit_write = await tasks_client.post(
        f"{API}/cases", json=CASE, headers=scene.headers("hexiqu", Role.unit)
    )
    assert unit_write.status_code == 403


async def test_a_unit_reads_its_own_cases_and_a_viewer_only_public_ones(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    hidden = await _registered(tasks_client, scene)
    public = await _registered(
        tasks_client,
        scene,
        kind="positive",
        title="市税务局推行一网通办",
        unit="shuiwu",
        people_accountability=None,
        unit_accountability=None,
        public=True,
    )
    hexiqu, keji, viewer = (
        scene.headers("hexiqu", Role.unit),
        scene.headers("keji", Role.unit),
        scene.headers("viewer"),
    )

    async def ids(headers: dict[str, str]) -> list[int]:
        listed = await tasks_client.get(f"{API}/cases", headers=headers)
        return [c["id"] for c in listed.json()["items"]]

    assert await ids(hexiqu) == [hidden["id"]]
    assert await ids(keji) == []
    assert await ids(viewer) == [public["id"]]
    assert sorted(await ids(scene.headers("office"))) == sorted([hidden["id"], public["id"]])
    assert (await tasks_client.get(f"{API}/cases/{hidden['id']}", headers=keji)).status_code == 404
    assert (
        await tasks_client.get(f"{API}/cases/{hidden['id']}", headers=viewer)
    ).status_code == 404
    assert (
        await tasks_client.get(f"{API}/cases/{hidden['id']}", headers=hexiqu)
    ).status_code == 200


async def test_good_practice_carries_no_accountability_and_the_quarter_is_the_years(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    office = scene.headers("office")
    positive = await tasks_client.post(
        f"{API}/cases", json={**CASE, "kind": "positive"}, headers=office
    )
    assert positive.status_code == 422
    assert "一案双查" in positive.json()["detail"]
    for quarter in ("2025-Q4", "2026-Q4"):
        refused = await tasks_client.post(
            f"{API}/cases", json={**CASE, "quarter": quarter}, headers=office
        )
        assert refused.status_code == 422, quarter
    unknown = await tasks_client.post(
        f"{API}/cases", json={**CASE, "unit": "nowhere"}, headers=office
    )
    assert unknown.status_code == 422
