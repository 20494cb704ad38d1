"""Hostile files on every import (the task list in reform_tasks, the enterprise survey in
evaluation) and hostile names on evidence uploads: a 4xx problem+json with a Chinese message,
quickly, nothing written; a name never reaches outside the file store or into a header."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import AuditLog, EvidenceFile, ProgressReport, Role, Task
from shared.settings import Settings
from tests.reform_tasks.conftest import Scene
from tests.reliability.hostile_files import corpus

IMPORTS = {
    "task list": ("tasks", "/api/tasks/v1/tasks/import"),
    "survey": ("evaluation", "/api/evaluation/v1/surveys/import"),
}
PDF = b"%PDF-1.4\n%evidence\n"


async def _written(session: AsyncSession) -> tuple[int, int]:
    tasks = await session.scalar(select(func.count()).select_from(Task))
    audit = await session.scalar(select(func.count()).select_from(AuditLog))
    return int(tasks or 0), int(audit or 0)


@pytest.mark.parametrize("target", sorted(IMPORTS))
async def test_hostile_spreadsheets_are_refused_with_a_message(
    target: str,
    scene: Scene,
    tasks_client: httpx.AsyncClient,
    evaluation_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    service, path = IMPORTS[target]
    client = tasks_client if service == "tasks" else evaluation_client
    before = await _written(session)
    for name, content in corpus().items():
        for dry_run in ("true", "false"):
            started = time.perf_counter()
            response = await client.post(
                path,
                params={"dry_run": dry_run},
                files={"file": ("清单.xlsx", content)},
                headers=scene.headers("office"),
            )
            elapsed = time.perf_counter() - started
            where = (name, response.status_code, response.text[:300])
            assert response.status_code in (400, 413, 422), where
            assert response.headers["content-type"] == "application/problem+json", name
            detail = response.json()["detail"]
            assert any("\u4e00" <= c <= "\u9fff" for c in detail), where  # a Chinese message
            assert "root:" not in response.text, name  # no external entity was resolved
            assert elapsed < 15, (name, f"{elapsed:.1f}s")
    assert await _written(session) == before


NAMES = {
    "../../etc/passwd.pdf": "passwd.pdf",
    "..\\..\\windows\\win.pdf": "win.pdf",
    "/absolute/path.pdf": "path.pdf",
    "C:\\evil.pdf": "evil.pdf",
    "%2e%2e%2fencoded.pdf": "%2e%2e%2fencoded.pdf",
    # httpx (like browsers) percent-encodes CR, LF and " in a multipart file name.
    "name\r\nx-injected: 1.pdf": "name%0D%0Ax-injected 1.pdf",
    'quote"; filename=evil.exe; x=".pdf': "quote%22 filename=evil.exe x=%22.pdf",
    "\u202efdp.exe.pdf": "fdp.exe.pdf",
}


async def test_evidence_names_stay_inside_the_store_and_out_of_headers(
    tasks_client: httpx.AsyncClient, scene: Scene, files_dir: Path, session: AsyncSession
) -> None:
    response = await tasks_client.post(
        "/api/tasks/v1/tasks/1/milestones/1/reports",
        data={"content": "阶段进展"},
        files=[("files", (name, PDF, "application/pdf")) for name in NAMES],
        headers=scene.headers("zhengwu", Role.unit),
    )
    assert response.status_code == 201, response.text
    evidence = response.json()["evidence"]
    assert [e["filename"] for e in evidence] == list(NAMES.values())
    stored = [p for p in files_dir.rglob("*") if p.is_file()]
    assert len(stored) == len(NAMES)
    for path in stored:
        assert files_dir.resolve() in path.resolve().parents
        assert path.read_bytes() == PDF
    for key in (await session.scalars(select(EvidenceFile.storage_key))).all():
        assert ".." not in key
        assert "\\" not in key
    for item in evidence:
        download = await tasks_client.get(
            f"/api/tasks/v1/evidence/{item['id']}", headers=scene.headers("office")
        )
        assert download.status_code == 200
        disposition = download.headers["content-disposition"]
        assert "\r" not in disposition
        assert "\n" not in disposition
        assert "x-injected" not in download.headers
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers.get("x-content-type-options") == "nosniff"


async def test_evidence_over_the_limits_is_refused_and_nothing_kept(
    tasks_client: httpx.AsyncClient,
    scene: Scene,
    files_dir: Path,
    settings: Settings,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "evidence_max_bytes", 1024 * 1024)
    cases = {
        "one byte over the size limit": [("大.pdf", PDF + b"0" * (1024 * 1024))],
        "eleven files": [(f"{n}.pdf", PDF) for n in range(11)],
        "an executable renamed .pdf": [("a.pdf", b"MZ\x90\x00 renamed")],
        "a script": [("a.html", b"<script>alert(1)</script>")],
        "an svg": [("a.svg", b"<svg onload=alert(1)>")],
        "good then bad": [("ok.pdf", PDF), ("bad.exe", b"MZ")],
    }
    for name, files in cases.items():
        response = await tasks_client.post(
            "/api/tasks/v1/tasks/1/milestones/1/reports",
            data={"content": "阶段进展"},
            files=[("files", f) for f in files],
            headers=scene.headers("zhengwu", Role.unit),
        )
        assert response.status_code in (413, 422), (name, response.text)
        assert response.headers["content-type"] == "application/problem+json", name
        assert [p for p in files_dir.rglob("*") if p.is_file()] == [], name
        assert await session.scalar(select(func.count()).select_from(ProgressReport)) == 0
        assert await session.scalar(select(func.count()).select_from(EvidenceFile)) == 0
