from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shared.models import Programme, Role, Task, Unit, UnitKind
from tests.conftest import Factory


@pytest.fixture
def reports(report_stack: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    """A client of reform_tasks whose reports read evaluation and hotline_ingest in process."""
    return report_stack[1]


def assert_evidence_download(response: httpx.Response, quoted_name: str) -> None:
    """An evidence file as it is served: a PDF, never sniffed as something else, an attachment
    with its Chinese name as RFC 5987 `filename*` (`quoted_name` percent-encoded)."""
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quoted_name}" in disposition


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def scanner_script(tmp_path: Path, body: str) -> str:
    """A virus-scan command (EVIDENCE_SCAN_COMMAND) running the shell `body` on its file."""
    script = tmp_path / f"scan-{hashlib.sha256(body.encode()).hexdigest()[:8]}.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@dataclass
class Scene:
    """A programme with two tasks: 1 led by shichang (zhengwu, yunzhongqu responsible) and 2 led
    by shuiwu (hexiqu responsible). keji is involved in neither."""

    programme: Programme
    units: dict[str, Unit]
    tasks: dict[int, Task]
    factory: Factory

    def headers(self, code: str, role: Role | None = None) -> dict[str, str]:
        if code == "office":
            return self.factory.headers("office", Role.office_admin, "gaigeban")
        if code == "staff":
            return self.factory.headers("staff", Role.office_staff, "gaigeban")
        if code == "viewer":
            return self.factory.headers("viewer", Role.viewer, None)
        return self.factory.headers(code, role or Role.lead_unit, code)


@pytest.fixture
async def scene(factory: Factory) -> Scene:
    units = {
        "gaigeban": await factory.unit("gaigeban", UnitKind.office, name="云岭市营商办"),
        "shichang": await factory.unit(
            "shichang",
            name="云岭市市场监督管理局",
            short_name="市市场监管局",
            aliases=["市场监管局"],
        ),
        "zhengwu": await factory.unit(
            "zhengwu", name="云岭市政务服务管理局", short_name="市政务服务局"
        ),
        "shuiwu": await factory.unit(
            "shuiwu", name="国家税务总局云岭市税务局", short_name="市税务局"
        ),
        "keji": await factory.unit("keji", name="云岭市科学技术局", short_name="市科技局"),
        "yunzhongqu": await factory.unit(
            "yunzhongqu", UnitKind.district, name="云中区人民政府", short_name="云中区"
        ),
        "hexiqu": await factory.unit(
            "hexiqu", UnitKind.district, name="河西区人民政府", short_name="河西区"
        ),
    }
    programme = await factory.programme("2026")
    shangshi = await factory.domain(programme, "shangshi", "商事登记", 1)
    nashui = await factory.domain(programme, "nashui", "纳税", 2)
    tasks = {
        1: await factory.task(
            programme,
            1,
            units["shichang"],
            [units["zhengwu"], units["yunzhongqu"]],
            domain=shangshi,
            title="企业开办全程网办",
            milestones=[(date(2026, 3, 31), "制定工作方案"), (date(2026, 6, 30), "系统上线运行")],
        ),
        2: await factory.task(
            programme,
            2,
            units["shuiwu"],
            [units["hexiqu"]],
            domain=nashui,
            title="办税时间压缩",
            milestones=[(date(2026, 4, 30), "出台实施细则"), (date(2026, 9, 30), "全面推开")],
        ),
    }
    return Scene(programme, units, tasks, factory)
