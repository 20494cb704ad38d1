"""Starting a new year (issue #21): the office creates a programme, optionally taking another's
domains and settings; a dry run previews it; one programme per code and per year."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import AuditLog, Domain, Programme
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1/programmes"


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
