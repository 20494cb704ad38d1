"""The reform_tasks access matrix (tests/reform_tasks/test_access_matrix.py: a unit involved in
nothing and a viewer) for the roles it leaves out: that uninvolved unit logged in as a 联络员
of a lead unit (more rights, still no task of its own), and the 12345 platform's account (no
unit at all). Each must be refused at least as firmly as the uninvolved unit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from shared import clock
from shared.models import Role
from shared.settings import Settings
from tests.reform_tasks.conftest import Scene
from tests.reform_tasks.test_access_matrix import _cases, _check, _objects, _send


@pytest.fixture
def frozen(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(settings, "files_dir", tmp_path / "files")
    clock.freeze(datetime(2026, 9, 20, 4, tzinfo=UTC))
    yield
    clock.freeze(None)


async def test_a_lead_unit_role_or_the_hotline_account_reach_no_other_units_objects(
    tasks_client: httpx.AsyncClient, scene: Scene, frozen: None
) -> None:
    await scene.factory.user("keji", Role.lead_unit, scene.units["keji"])
    objects = await _objects(tasks_client, scene)
    callers = {
        "keji as lead unit": scene.factory.headers("keji", Role.lead_unit, "keji"),
        "12345 platform": scene.factory.headers("hotline", Role.hotline_platform, None),
    }
    for case in _cases(objects):
        for who, headers in callers.items():
            response = await _send(tasks_client, case, headers)
            if response.status_code in (403, 404):
                assert case.intruder != "ok" or who == "12345 platform", (who, case.path)
                continue  # refused: at least as firm as for the uninvolved unit
            _check(case, who, case.intruder, response)
