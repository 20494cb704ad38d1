"""A production installation starts with no demo accounts (issue #23, finding 6): the demo
loader refuses ENVIRONMENT=production and writes nothing; `create-admin` makes the first office
admin once, under the password policy. Both run as the real commands, in production mode."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from cryptography.fernet import Fernet

from shared.settings import REPO_ROOT
from shared.signing_keys import new_private_text, private_key, public_text
from tests.reliability.conftest import fetch


def _production(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ENVIRONMENT": "production",
        "DATABASE_URL": url,
        # The migration job and create-admin sign no tokens: no key, the issuer's public one.
        "JWT_SIGNING_KEY": "",
        "JWT_KEY_ID": "migrate",
        "JWT_VERIFY_KEYS": f"reform_tasks:{public_text(private_key(new_private_text()))}",
        "PII_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LOG_JSON": "false",
        "EVIDENCE_SCANNER": "command",
    }


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        input=stdin,
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_demo_loader_refuses_production_and_writes_nothing(
    fresh_database: Callable[[str], str],
) -> None:
    url = fresh_database("prod_demo")
    result = _run(["shared.demo", "load"], _production(url))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "拒绝加载演示数据" in result.stdout + result.stderr
    assert await fetch(url, "SELECT count(*) FROM platform.users") == [(0,)]
    assert await fetch(url, "SELECT count(*) FROM platform.units") == [(0,)]


async def test_create_admin_makes_the_first_admin_once(
    fresh_database: Callable[[str], str],
) -> None:
    url = fresh_database("prod_admin")
    env = _production(url)
    command = ["services.reform_tasks", "create-admin", "--username", "gaigeban"]
    weak = _run([*command, "--password-stdin"], env, "password1234\n")
    assert weak.returncode == 2
    assert "password" in weak.stderr
    made = _run([*command, "--password-stdin"], env, "harbour-lantern-river-2026\n")
    assert made.returncode == 0, made.stderr
    rows = await fetch(url, "SELECT username, role FROM platform.users")
    assert rows == [("gaigeban", "office_admin")]
    audit = await fetch(url, "SELECT actor_username, action FROM platform.audit_log")
    assert audit == [("cli:create-admin", "user.created")]
    again = _run(
        ["services.reform_tasks", "create-admin", "--username", "second", "--password-stdin"],
        env,
        "another-harbour-lantern-99\n",
    )
    assert again.returncode == 1
    assert "已存在改革办管理员" in again.stderr
