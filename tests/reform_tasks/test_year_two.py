"""Year two (issue #21), as the office lives it in January: create 2027 from 2026 with its
unfinished tasks, import the 2027 list, sign 2026's last notice, close 2026, run the 2027
January report — and everything 2026 answered before (scores, rankings, its task list export,
its signed documents) it answers byte for byte after. reform_tasks, evaluation and the hotline
run in process with real HTTP between them (tests/report_apps.py); the outbox is relayed to
evaluation by the real relay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import clock
from shared.http import ServiceTokens
from shared.models import Role
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"
EVAL = "/api/evaluation/v1"


@pytest.fixture(autouse=True)
def mid_january() -> Iterator[None]:
    clock.freeze(datetime(2027, 1, 15, 2, tzinfo=UTC))
    yield
    clock.freeze(None)


class Office:
    """The office at its desk: reform_tasks through its client, evaluation over the same HTTP
    routes reform_tasks uses, and the outbox relayed on demand."""

    def __init__(
        self,
        stack: tuple[FastAPI, httpx.AsyncClient],
        scene: Scene,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        app, self.tasks = stack
        self.http: httpx.AsyncClient = app.state.http
        self.scene = scene
        self.evaluation = settings.evaluation_url.rstrip("/")
        self.relay = OutboxRelay(
            sessionmaker, self.http, settings, "reform_tasks", ServiceTokens(settings)
        )
        self.headers = scene.headers("office")

    async def deliver(self) -> None:
        while await self.relay.deliver_batch():
            pass

    async def evaluation_get(self, path: str, **params: str) -> httpx.Response:
        response = await self.http.get(
            self.evaluation + EVAL + path, params=params, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response

    async def report(self, kind: str, period: str, programme: str) -> dict[str, Any]:
        created = await self.tasks.post(
            f"{API}/reports",
            json={"kind": kind, "period": period, "programme": programme},
            headers=self.headers,
        )
        assert created.status_code == 201, created.text
        body: dict[str, Any] = created.json()
        return body

    async def sign(self, report_id: int) -> None:
        proofread = await self.tasks.post(
            f"{API}/reports/{report_id}/proofread", headers=self.scene.headers("staff")
        )
        assert proofread.status_code == 200, proofread.text
        leader = self.scene.factory.headers("leader", Role.office_leader, "gaigeban")
        signed = await self.tasks.post(
            f"{API}/reports/{report_id}/sign-off", json={"publicity": "public"}, headers=leader
        )
        assert signed.status_code == 200, signed.text

    async def snapshot(self, programme: str, report_ids: list[int]) -> dict[str, bytes]:
        """Everything a reader of `programme` can fetch, as the bytes served."""
        seen: dict[str, bytes] = {}
        for period in (programme, f"{programme}-Q4", f"{programme}-12"):
            scores = await self.evaluation_get("/scores", programme=programme, period=period)
            seen[f"scores {period}"] = scores.content
            ranking = await self.evaluation_get("/rankings", programme=programme, period=period)
            seen[f"rankings {period}"] = ranking.content
        for path in ("/battle-map", "/tasks"):
            got = await self.tasks.get(
                API + path, params={"programme": programme}, headers=self.headers
            )
            assert got.status_code == 200, got.text
            seen[path] = got.content
        exported = await self.tasks.get(
            f"{API}/tasks/export", params={"programme": programme}, headers=self.headers
        )
        assert exported.status_code == 200, exported.text
        seen["export"] = _cells(exported.content)
        for report_id in report_ids:
            for form in ("docx", "pdf"):
                got = await self.tasks.get(
                    f"{API}/reports/{report_id}/{form}", headers=self.headers
                )
                assert got.status_code == 200, got.text
                seen[f"report {report_id} {form}"] = got.content
        return seen


def _cells(content: bytes) -> bytes:
    """An export's cell values (the workbook's zip carries its own creation time)."""
    sheet = load_workbook(BytesIO(content), data_only=True).active
    assert sheet is not None
    return repr(list(sheet.iter_rows(values_only=True))).encode()


def _with_new_task(export: bytes, number: int, title: str) -> bytes:
    """The office's 2027 list: the carried-over tasks as exported, and one new task."""
    book = load_workbook(BytesIO(export))
    sheet = book.active
    assert sheet is not None
    header = next(r for r in sheet.iter_rows(values_only=True) if r and r[0] == "序号")
    last = [c for c in list(sheet.iter_rows(values_only=True))[-1]]
    row = dict(zip(header, last, strict=False))
    row.update(
        {
            "序号": number,
            "任务": title,
            "完成时限": "2027年6月30日",
            "时间节点": "2027年6月30日前：完成",
        }
    )
    sheet.append([row.get(h) for h in header])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
async def office(
    report_stack: tuple[FastAPI, httpx.AsyncClient],
    scene: Scene,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Office:
    return Office(report_stack, scene, settings, sessionmaker)


async def test_the_office_starts_2027_closes_2026_and_2026_stays_as_it_was(
    office: Office, scene: Scene
) -> None:
    tasks, headers = office.tasks, office.headers
    # 2026 ended with every milestone of its two tasks late: the year-end sweep announced them
    # (evaluation scored them), and its December report and last notice are written and signed.
    swept = await tasks.post(
        f"{API}/sweeps/lagging", params={"as_of": "2026-12-31"}, headers=headers
    )
    assert swept.status_code == 200, swept.text
    assert swept.json()["announced"] == 4
    await office.deliver()
    december = await office.report("monthly_dispatch", "2026-12", "2026")
    notice = await office.report("quarterly_notice", "2026-Q4", "2026")
    for report in (december, notice):
        await office.sign(int(report["id"]))
    await office.deliver()
    signed = [int(december["id"]), int(notice["id"])]
    before = await office.snapshot("2026", signed)

    # 2027 from 2026: its domains and settings, its unfinished tasks carried over.
    created = await tasks.post(
        f"{API}/programmes",
        json={
            "code": "2027",
            "name": "2027年一号改革工程",
            "year": 2027,
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "benchmark_city": "深圳",
            "copy_from": "2026",
            "carry_over": True,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert [c["from_number"] for c in created.json()["carried"]] == [1, 2]
    await office.deliver()
    # evaluation copied 2026's rule set as 2027's draft for the office to edit.
    rule_sets = (await office.evaluation_get("/rule-sets", programme="2027")).json()["items"]
    assert [r["status"] for r in rule_sets if r["status"] == "draft"] == ["draft"]

    # The 2027 list: the carried-over tasks and one new one, imported.
    exported = await tasks.get(f"{API}/tasks/export", params={"programme": "2027"}, headers=headers)
    assert exported.status_code == 200, exported.text
    imported = await tasks.post(
        f"{API}/tasks/import",
        params={"dry_run": "false", "programme": "2027"},
        files={
            "file": ("2027.xlsx", _with_new_task(exported.content, 3, "工程建设项目全流程网办"))
        },
        headers=headers,
    )
    assert imported.status_code == 200, imported.text
    assert [t["number"] for t in imported.json()["created"]] == [3]

    # 2026 closes; evaluation freezes its results; 2026 is read-only.
    closed = await tasks.post(f"{API}/programmes/2026/close", json={}, headers=headers)
    assert closed.status_code == 200, closed.text
    await office.deliver()
    final = (await office.evaluation_get("/final-results", programme="2026")).json()
    assert final["closed"] is True
    old_year = {"programme": "2026"}
    task = await tasks.get(f"{API}/tasks/1", params=old_year, headers=headers)
    refused = await tasks.patch(
        f"{API}/tasks/1",
        params=old_year,
        json={"title": "改一下"},
        headers={**headers, "If-Match": task.headers["etag"]},
    )
    assert refused.status_code == 409, refused.text
    assert "已结束" in refused.json()["detail"]

    # January's report of 2027 runs; 2027's rankings show 2026's rank and total alongside.
    january = await office.report("monthly_dispatch", "2027-01", "2027")
    assert january["programme"] == "2027"
    ranking = (await office.evaluation_get("/rankings", programme="2027", period="2027")).json()
    assert ranking["previous_year_period"] == "2026"
    last_year = json_items(before["rankings 2026"])
    assert {(i["unit_code"], i["previous_year_rank"]) for i in ranking["items"]} == {
        (i["unit_code"], i["rank"]) for i in last_year
    }

    # Everything 2026 answered, it answers byte for byte.
    assert len({i["total"] for i in last_year}) > 1  # the year's scores differ by unit
    after = await office.snapshot("2026", signed)
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
    assert date.fromisoformat(closed.json()["closed_at"][:10]) == date(2027, 1, 15)


def json_items(content: bytes) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(content)["items"]
    return items
