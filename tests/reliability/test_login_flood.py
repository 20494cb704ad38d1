"""A flood of logins against reform_tasks as a real process (loopback, bounded): its memory
stays under the pod's 512 Mi limit (argon2 takes 64 MiB a check; at most
AUTH_HASH_CONCURRENCY run at once), and repeated failures for one name are refused with 429
before any password is checked. Issue #23, finding 1."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from shared.auth import hash_password
from tests.reliability.conftest import execute
from tests.reliability.processes import Services

POD_LIMIT = 512 * 1024 * 1024
LOGINS = 40  # at once


class PeakRss:
    """Samples a process's resident memory every 20 ms until stopped."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


async def test_a_login_flood_stays_under_the_pod_memory_limit(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database("login_flood")
    digest = hash_password("flood-test-password")
    await execute(
        url,
        "INSERT INTO platform.users (username, display_name, password_hash, role) "
        f"VALUES ('flood', '压测', '{digest}', 'office_admin')",
    )
    services = Services(url, tmp_path / "logs")
    services.start("reform_tasks")
    try:
        token_url = f"{services.url('reform_tasks')}/api/auth/token"
        async with httpx.AsyncClient(timeout=120) as client:

            async def login(password: str) -> int:
                form = {"username": "flood", "password": password}
                return (await client.post(token_url, data=form)).status_code

            with PeakRss(services.running["reform_tasks"].pid) as rss:
                good = await asyncio.gather(*(login("flood-test-password") for _ in range(LOGINS)))
                bad = [await login("wrong") for _ in range(8)]
        assert good == [200] * LOGINS
        assert rss.peak < POD_LIMIT, f"peak RSS {rss.peak / 2**20:.0f} MiB"
        assert bad[:5] == [401] * 5
        assert set(bad[5:]) == {429}  # locked out: no password checked
    finally:
        services.stop()
