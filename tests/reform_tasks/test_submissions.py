"""Quarterly work reports (季度工作报告; issue #27, seed 003: "每季度末月25日前将工作开展情况
报市创优营商环境组"): a unit submits its report with attachments, on time by the 25th of the
quarter's last month or late after it; the office sees every unit × quarter as on time / late /
missing / pending; the reminder goes only to units that have not reported; a unit sees only its
own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.reform_tasks.submission.rules import SubmissionStatus, due_date, submission_status
from shared import clock
from shared.models import Role
from shared.periods import parse_period
from tests.reform_tasks.conftest import Scene, assert_evidence_download

API = "/api/tasks/v1"
PDF = b"%PDF-1.4\n%quarterly report\n"
SUMMARY = "本季度完成综合窗口改造，企业开办全程网办率达到95%。"


@pytest.fixture(autouse=True)
def frozen(files_dir: Path) -> Iterator[None]:
    clock.freeze(datetime(2026, 9, 20, 2, tzinfo=UTC))  # 2026-09-20 in Shanghai
    yield
    clock.freeze(None)


async def _submit(
    client: httpx.AsyncClient, scene: Scene, unit: str = "hexiqu", quarter: str = "2026-Q3"
) -> httpx.Response:
    return await client.post(
        f"{API}/submissions",
        data={"quarter": quarter, "summary": SUMMARY},
        files=[("files", ("三季度工作报告.pdf", PDF))],
        headers=scene.headers(unit, Role.unit),
    )


quarters = st.builds(
    lambda y, q: parse_period(f"{y}-Q{q}"), st.integers(2020, 2030), st.integers(1, 4)
)


@given(quarter=quarters, submitted=st.integers(-120, 120), looked=st.integers(-120, 240))
def test_status_follows_the_25th_of_the_quarters_last_month(
    quarter: Any, submitted: int, looked: int
) -> None:
    due = due_date(quarter)
    assert (due.day, due.month % 3, due.year) == (25, 0, quarter.end.year)
    on = due + timedelta(days=submitted)
    as_of = due + timedelta(days=looked)
    status = submission_status(due, on, as_of)
    if on > as_of:  # not yet submitted as of that day
        assert status is (SubmissionStatus.missing if as_of > due else SubmissionStatus.pending)
    else:
        assert status is (SubmissionStatus.on_time if on <= due else SubmissionStatus.late)
        # Once submitted, the standing never changes as time goes on.
        assert submission_status(due, on, as_of + timedelta(days=400)) is status
    assert submission_status(due, None, as_of) in (
        SubmissionStatus.missing,
        SubmissionStatus.pending,
    )


def test_the_25th_itself_is_on_time_even_on_a_weekend() -> None:
    due = due_date(parse_period("2027-Q3"))
    assert due == date(2027, 9, 25)
    assert due.weekday() == 5
    assert submission_status(due, due, due) is SubmissionStatus.on_time
    assert submission_status(due, due + timedelta(days=1), due + timedelta(days=1)) is (
        SubmissionStatus.late
    )
    assert submission_status(due, None, due) is SubmissionStatus.pending
    assert submission_status(due, None, due + timedelta(days=1)) is SubmissionStatus.missing


async def test_a_unit_submits_on_time_and_the_office_sees_the_matrix(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await _submit(tasks_client, scene)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["unit"], body["quarter"], body["due_on"], body["status"]) == (
        "hexiqu",
        "2026-Q3",
        "2026-09-25",
        "on_time",
    )
    file_path = f"{API}/submissions/{body['id']}/files/{body['files'][0]['id']}"
    own = await tasks_client.get(file_path, headers=scene.headers("hexiqu", Role.unit))
    assert own.status_code == 200
    assert own.content == PDF
    assert_evidence_download(
        own, "%E4%B8%89%E5%AD%A3%E5%BA%A6%E5%B7%A5%E4%BD%9C%E6%8A%A5%E5%91%8A.pdf"
    )
    assert (await tasks_client.get(file_path, headers=scene.headers("office"))).status_code == 200
    keji = scene.headers("keji", Role.unit)
    assert (await tasks_client.get(file_path, headers=keji)).status_code == 404
    assert (await tasks_client.get(file_path, headers=scene.headers("viewer"))).status_code == 403
    matrix = await tasks_client.get(f"{API}/submissions/matrix", headers=scene.headers("office"))
    assert matrix.status_code == 200, matrix.text
    table = matrix.json()
    cells = {r["unit"]: {c["quarter"]: c["status"] for c in r["cells"]} for r in table["rows"]}
    # Every unit on a task reports; keji is on none.
    assert set(cells) == {"shichang", "zhengwu", "shuiwu", "yunzhongqu", "hexiqu"}
    assert cells["hexiqu"] == {
        "2026-Q1": "missing",
        "2026-Q2": "missing",
        "2026-Q3": "on_time",
        "2026-Q4": "pending",
    }
    assert cells["shuiwu"]["2026-Q3"] == "pending"
    q3 = next(q for q in table["quarters"] if q["quarter"] == "2026-Q3")
    assert (q3["due_on"], q3["counts"]["on_time"], q3["counts"]["pending"]) == ("2026-09-25", 1, 4)
    assert (await tasks_client.get(f"{API}/submissions/matrix", headers=keji)).status_code == 403


async def test_a_report_after_the_25th_is_late_and_only_one_per_quarter(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    clock.freeze(datetime(2026, 9, 26, 2, tzinfo=UTC))
    late = await _submit(tasks_client, scene)
    assert late.json()["status"] == "late"
    again = await _submit(tasks_client, scene)
    assert again.status_code == 409
    future = await _submit(tasks_client, scene, quarter="2026-Q4")
    assert future.status_code == 422
    office = await tasks_client.post(
        f"{API}/submissions",
        data={"quarter": "2026-Q3", "summary": SUMMARY},
        headers=scene.headers("office"),
    )
    assert office.status_code == 403


async def test_a_unit_sees_only_its_own_reports(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    mine = (await _submit(tasks_client, scene)).json()
    theirs = (await _submit(tasks_client, scene, unit="shuiwu")).json()
    hexiqu = scene.headers("hexiqu", Role.unit)
    listed = await tasks_client.get(f"{API}/submissions", headers=hexiqu)
    assert [s["id"] for s in listed.json()["items"]] == [mine["id"]]
    assert (
        await tasks_client.get(f"{API}/submissions/{theirs['id']}", headers=hexiqu)
    ).status_code == 404
    everyone = await tasks_client.get(f"{API}/submissions", headers=scene.headers("viewer"))
    assert everyone.json()["total"] == 2


async def test_the_reminder_goes_only_to_units_that_have_not_reported(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    await _submit(tasks_client, scene)
    run = await tasks_client.post(
        f"{API}/reminders/run?as_of=2026-09-20", headers=scene.headers("office")
    )
    assert run.status_code == 200, run.text
    quarterly = [s for s in run.json()["sent"] if s["kind"] == "quarterly_report_due"]
    assert sorted(s["unit_code"] for s in quarterly) == [
        "shichang",
        "shuiwu",
        "yunzhongqu",
        "zhengwu",
    ]
    assert all(s["link"] == "/submissions" for s in quarterly)
    again = await tasks_client.post(
        f"{API}/reminders/run?as_of=2026-09-21", headers=scene.headers("office")
    )
    assert "quarterly_report_due" not in again.json()["counts"]  # each once
