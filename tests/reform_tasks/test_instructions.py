"""Leader instructions (领导批示, issue #27): the office records a leader's instruction on a task or
a key project and assigns it to units with a deadline; each assigned unit answers (with files);
the office records the leader's acknowledgement (阅示), which closes it. A unit sees only the
instructions assigned to it; an open one past its deadline with a unit that has not answered is
overdue, in the lists and in that unit's to-do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import (
    AuditLog,
    CaseKind,
    InstructionAnswer,
    InstructionAnswerFile,
    Project,
    ProjectLevel,
    Role,
    TypicalCase,
    UnitMessage,
)
from tests.reform_tasks.conftest import Scene, stored_files

API = "/api/tasks/v1"
PDF = b"%PDF-1.4\n%instruction answer\n"
TEXT = "请市场监管局会同相关区抓紧推进企业开办全程网办，确保6月底前上线。"


@pytest.fixture(autouse=True)
def frozen(files_dir: Path) -> Iterator[None]:
    clock.freeze(datetime(2026, 5, 4, 2, tzinfo=UTC))  # 2026-05-04 10:00 in Shanghai
    yield
    clock.freeze(None)


def body(**changes: Any) -> dict[str, Any]:
    return {
        "subject_type": "task",
        "subject_id": 1,
        "text": TEXT,
        "leader_name": "张明",
        "leader_title": "市长",
        "instructed_on": "2026-05-02",
        "due_on": "2026-05-20",
        "unit_codes": ["shichang", "yunzhongqu"],
        **changes,
    }


async def create(client: httpx.AsyncClient, scene: Scene, **changes: Any) -> dict[str, Any]:
    response = await client.post(
        f"{API}/instructions", json=body(**changes), headers=scene.headers("office")
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def answer(
    client: httpx.AsyncClient,
    scene: Scene,
    instruction_id: int,
    who: str = "shichang",
    role: Role = Role.lead_unit,
    files: list[tuple[str, bytes]] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{API}/instructions/{instruction_id}/answers",
        data={"text": "已印发工作方案，系统5月10日试运行。"},
        files=[("files", f) for f in files or []],
        headers=scene.headers(who, role),
    )


async def test_the_office_records_an_instruction_and_each_unit_hears_of_it(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    created = await create(tasks_client, scene)
    assert created["subject_label"] == "任务1 企业开办全程网办"
    assert (created["status"], created["overdue"], created["answers"]) == ("open", False, [])
    assert [(u["unit_code"], u["answered"]) for u in created["units"]] == [
        ("shichang", False),
        ("yunzhongqu", False),
    ]
    inbox = await session.scalars(
        select(UnitMessage).where(UnitMessage.kind == "instruction").order_by(UnitMessage.id)
    )
    assert [m.title for m in inbox] == ["【领导批示】市长张明批示"] * 2
    audit = await session.scalar(select(AuditLog).where(AuditLog.action == "instruction.created"))
    assert audit is not None
    assert audit.actor_username == "office"
    assert audit.after is not None
    assert audit.after["unit_codes"] == ["shichang", "yunzhongqu"]


async def test_a_unit_sees_and_answers_only_the_instructions_assigned_to_it(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    ours = await create(tasks_client, scene)
    theirs = await create(tasks_client, scene, subject_id=2, unit_codes=["hexiqu"])
    listed = await tasks_client.get(f"{API}/instructions", headers=scene.headers("shichang"))
    assert [i["id"] for i in listed.json()["items"]] == [ours["id"]]
    everything = await tasks_client.get(f"{API}/instructions", headers=scene.headers("viewer"))
    assert {i["id"] for i in everything.json()["items"]} == {ours["id"], theirs["id"]}
    # Another unit's instruction does not exist for it: not to read, not to answer.
    hidden = await tasks_client.get(
        f"{API}/instructions/{theirs['id']}", headers=scene.headers("shichang")
    )
    assert hidden.status_code == 404
    assert (await answer(tasks_client, scene, theirs["id"])).status_code == 404
    keji = await tasks_client.get(f"{API}/instructions", headers=scene.headers("keji"))
    assert keji.json() == {"items": [], "total": 0}
    # The office records and acknowledges, it does not answer; a unit does not record.
    assert (await answer(tasks_client, scene, ours["id"], "office")).status_code == 403
    refused = await tasks_client.post(
        f"{API}/instructions", json=body(), headers=scene.headers("shichang")
    )
    assert refused.status_code == 403
    acknowledge = await tasks_client.post(
        f"{API}/instructions/{ours['id']}/acknowledge",
        json={"acknowledged_on": "2026-05-20"},
        headers=scene.headers("shichang"),
    )
    assert acknowledge.status_code == 403


async def test_answers_with_files_then_the_leaders_acknowledgement_closes_it(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession, files_dir: Path
) -> None:
    created = await create(tasks_client, scene)
    url = f"{API}/instructions/{created['id']}"
    sent = await answer(tasks_client, scene, created["id"], files=[("方案.pdf", PDF)])
    assert sent.status_code == 201, sent.text
    [file] = sent.json()["files"]
    assert file["download_url"] == f"{url}/files/{file['id']}"
    assert len(stored_files(files_dir)) == 1
    # The leader reads every unit's answer: not acknowledged while one is missing.
    early = await tasks_client.post(
        f"{url}/acknowledge",
        json={"acknowledged_on": "2026-05-10"},
        headers=scene.headers("office"),
    )
    assert early.status_code == 409
    assert "云中区人民政府" in early.json()["detail"]
    assert (await answer(tasks_client, scene, created["id"], "yunzhongqu")).status_code == 201
    done = await tasks_client.post(
        f"{url}/acknowledge",
        json={"acknowledged_on": "2026-05-10", "note": "已阅，抓好落实。"},
        headers=scene.headers("office"),
    )
    assert done.status_code == 200, done.text
    closed = done.json()
    assert (closed["status"], closed["acknowledged_on"], closed["acknowledgement"]) == (
        "acknowledged",
        "2026-05-10",
        "已阅，抓好落实。",
    )
    assert [a["unit_code"] for a in closed["answers"]] == ["shichang", "yunzhongqu"]
    # A unit assigned with another sees that it answered, not what it answered.
    own = await tasks_client.get(url, headers=scene.headers("yunzhongqu", Role.unit))
    assert [a["unit_code"] for a in own.json()["answers"]] == ["yunzhongqu"]
    assert [u["answered"] for u in own.json()["units"]] == [True, True]
    # Closed: no more answers, no second acknowledgement.
    assert (await answer(tasks_client, scene, created["id"])).status_code == 409
    again = await tasks_client.post(
        f"{url}/acknowledge",
        json={"acknowledged_on": "2026-05-11"},
        headers=scene.headers("office"),
    )
    assert again.status_code == 409
    # The file: its unit and the office download it; viewers 403, any other unit 404.
    for who, expected in (
        ("shichang", 200),
        ("office", 200),
        ("viewer", 403),
        ("keji", 404),
        ("yunzhongqu", 404),
    ):
        got = await tasks_client.get(f"{url}/files/{file['id']}", headers=scene.headers(who))
        assert got.status_code == expected, who
    assert await session.scalar(select(func.count()).select_from(InstructionAnswer)) == 2
    assert await session.scalar(select(func.count()).select_from(InstructionAnswerFile)) == 1
    actions = await session.scalars(
        select(AuditLog.action).where(AuditLog.entity_type.like("instruction%"))
    )
    assert sorted(actions) == [
        "instruction.acknowledged",
        "instruction.answered",
        "instruction.answered",
        "instruction.created",
    ]


async def test_an_unanswered_instruction_past_its_deadline_is_overdue_and_in_the_to_do(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    created = await create(tasks_client, scene)
    todo = await tasks_client.get(f"{API}/todo", headers=scene.headers("shichang"))
    [item] = [i for i in todo.json()["items"] if i["kind"] == "instruction"]
    assert (item["id"], item["route"], item["overdue"]) == (
        created["id"],
        f"/instructions/{created['id']}",
        False,
    )
    assert todo.json()["counts"]["instruction"] == 1
    clock.freeze(datetime(2026, 5, 21, 2, tzinfo=UTC))
    assert (await answer(tasks_client, scene, created["id"])).status_code == 201
    shown = await tasks_client.get(
        f"{API}/instructions/{created['id']}", headers=scene.headers("office")
    )
    assert shown.json()["overdue"] is True
    assert [(u["unit_code"], u["overdue"]) for u in shown.json()["units"]] == [
        ("shichang", False),
        ("yunzhongqu", True),
    ]
    overdue = await tasks_client.get(
        f"{API}/instructions", params={"overdue": "true"}, headers=scene.headers("office")
    )
    assert [i["id"] for i in overdue.json()["items"]] == [created["id"]]
    # The unit that answered has nothing left to do; the other one has an overdue item.
    answered = await tasks_client.get(f"{API}/todo", headers=scene.headers("shichang"))
    assert answered.json()["counts"]["instruction"] == 0
    late = await tasks_client.get(f"{API}/todo", headers=scene.headers("yunzhongqu", Role.unit))
    [item] = [i for i in late.json()["items"] if i["kind"] == "instruction"]
    assert (item["overdue"], item["days_left"]) == (True, -1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject_id": 99}, "subject_id"),
        ({"subject_type": "project", "subject_id": 1}, "subject_id"),
        ({"unit_codes": ["shichang", "nosuch"]}, "unit_codes"),
        ({"unit_codes": []}, "unit_codes"),
        ({"due_on": "2026-04-30"}, None),
        ({"unit_codes": ["shichang", "shichang"]}, None),
    ],
)
async def test_bad_instructions_are_refused_and_nothing_is_kept(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    session: AsyncSession,
    changes: dict[str, Any],
    field: str | None,
) -> None:
    response = await tasks_client.post(
        f"{API}/instructions", json=body(**changes), headers=scene.headers("office")
    )
    assert response.status_code == 422, response.text
    if field is not None:
        assert any(e["loc"][-1] == field for e in response.json()["errors"])
    listed = await tasks_client.get(f"{API}/instructions", headers=scene.headers("office"))
    assert listed.json()["total"] == 0


async def test_an_instruction_on_a_key_project(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    project = Project(
        programme_id=scene.programme.id,
        code="P001",
        name="云中区新能源电池产业园",
        level=ProjectLevel.municipal,
        district_unit_id=scene.units["yunzhongqu"].id,
        lead_unit_id=scene.units["yunzhongqu"].id,
    )
    session.add(project)
    await session.flush()
    created = await create(
        tasks_client,
        scene,
        subject_type="project",
        subject_id=project.id,
        unit_codes=["yunzhongqu"],
    )
    assert created["subject_label"] == "重点项目 云中区新能源电池产业园"


async def test_an_instruction_on_a_typical_case(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    case = TypicalCase(
        programme_id=scene.programme.id,
        kind=CaseKind.negative,
        title="某窗口推诿企业办事",
        facts="企业反映窗口人员多次以材料不全为由推诿办理。",
        unit_id=scene.units["hexiqu"].id,
        quarter="2026-Q2",
        created_by="office",
    )
    session.add(case)
    await session.flush()
    created = await create(
        tasks_client, scene, subject_type="case", subject_id=case.id, unit_codes=["hexiqu"]
    )
    assert created["subject_label"] == "典型案例 某窗口推诿企业办事"
    missing = await tasks_client.post(
        f"{API}/instructions",
        json=body(subject_type="case", subject_id=case.id + 1),
        headers=scene.headers("office"),
    )
    assert missing.status_code == 422
