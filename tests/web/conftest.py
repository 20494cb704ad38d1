"""Browser tests: the real stack (`python -m shared.devstack up`, the SPA served by `vite preview`)
on a database cloned from the embedded test cluster, driven in Debian's Chromium.

One stack serves every browser test. xdist may hand browser tests to both workers, so the stack
is shared between them: the first worker to need it starts it, each worker registers itself in a
small state file (under a file lock), and the last one to finish stops it.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import psutil
import pytest
from filelock import FileLock
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)
from standardwebhooks import Webhook

from shared.http import signed_headers
from shared.settings import REPO_ROOT, VAR_DIR
from tests import pg

PASSWORD = "browser-test-pw"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"browser-test-webhook-secret-0123").decode()
_BASE = 19000 + (pg.TEST_PG_PORT % 100) * 10  # a second suite (other TEST_PG_PORT) won't collide
WEB_PORT = _BASE
PORTS = {"reform_tasks": _BASE + 1, "evaluation": _BASE + 2, "hotline_ingest": _BASE + 3}
DATABASE = "browser_stack"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
# A unit liaison's phone (issue #22): 390 × 844 CSS pixels, touch, device pixel ratio 2.
PHONE: ViewportSize = {"width": 390, "height": 844}
STATE = VAR_DIR / f"browser-stack-{pg.TEST_PG_PORT}.json"
LOCK = FileLock(str(VAR_DIR / f"browser-stack-{pg.TEST_PG_PORT}.lock"))
LOG = VAR_DIR / f"browser-stack-{pg.TEST_PG_PORT}.log"


@dataclass(frozen=True)
class Stack:
    web: str
    hotline: str
    evaluation: str
    tasks: str
    database: str

    def token(self, username: str) -> str:
        response = httpx.post(
            f"{self.tasks}/api/auth/token", data={"username": username, "password": PASSWORD}
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def client(self, username: str) -> httpx.Client:
        """The API as `username` sees it, through the SPA's own proxy (the browser's path)."""
        return httpx.Client(
            base_url=self.web,
            headers={"Authorization": f"Bearer {self.token(username)}"},
            timeout=30,
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "after_demo_year: run after every other test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The webhook test waits until the demo year has been relayed to evaluation: run it after
    every other test, so the wait overlaps their work instead of adding to it."""
    last = [item for item in items if item.get_closest_marker("after_demo_year")]
    for item in last:
        items.remove(item)
    items.extend(last)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(urls: list[str], timeout: float, process: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the stack exited early; see {LOG}")
        pending = [url for url in pending if not _ready(url)]
        time.sleep(0.3)
    if pending:
        raise RuntimeError(f"never became ready: {pending}; see {LOG}")


def _build_web() -> None:
    """`make test` builds web/dist first; a plain pytest run builds it when it is missing or
    older than a source file (the tests must see the code they test)."""
    web = REPO_ROOT / "web"
    built = web / "dist" / "index.html"
    sources = [
        *(web / "src").rglob("*"),
        *(web / "public").rglob("*"),  # copied as they are: sw.js, offline.html, …
        web / "index.html",
        web / "vite.config.ts",
    ]
    newest = max(path.stat().st_mtime for path in sources if path.is_file())
    if not built.exists() or built.stat().st_mtime < newest:
        subprocess.run(["npm", "run", "build"], cwd=web, check=True, capture_output=True)


def _start() -> int:
    cluster = pg.test_cluster()
    url = pg.clone_database(cluster, DATABASE)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "dev",
        "WEB_PORT": str(WEB_PORT),
        "REFORM_TASKS_URL": f"http://127.0.0.1:{PORTS['reform_tasks']}",
        "EVALUATION_URL": f"http://127.0.0.1:{PORTS['evaluation']}",
        "HOTLINE_URL": f"http://127.0.0.1:{PORTS['hotline_ingest']}",
        "HOTLINE_WEBHOOK_SECRETS": WEBHOOK_SECRET,
        "DEMO_PASSWORD": PASSWORD,
        "LOG_JSON": "false",
    }
    with LOG.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "shared.devstack", "up"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    urls = [f"http://127.0.0.1:{port}/readyz" for port in PORTS.values()]
    _wait([*urls, f"http://127.0.0.1:{WEB_PORT}/login"], 120, process)
    return process.pid


def _exited(process: psutil.Process) -> bool:
    """Gone, or a zombie: the worker that stops the stack may not be the one that started it,
    and only the parent can reap it."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _stop(pid: int) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        main = psutil.Process(pid)
        # honcho puts each child in a session of its own: end the whole tree.
        tree = main.children(recursive=True)
        os.killpg(pid, signal.SIGINT)
        deadline = time.monotonic() + 20
        while not _exited(main) and time.monotonic() < deadline:
            time.sleep(0.2)
        for process in [*tree, main]:
            with contextlib.suppress(psutil.NoSuchProcess):
                if not _exited(process):
                    process.kill()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when this worker started it
    pg.test_cluster().psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def _read_state() -> dict[str, object]:
    try:
        state = json.loads(STATE.read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and psutil.pid_exists(int(state["pid"])) else {}


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    me = os.getpid()
    VAR_DIR.mkdir(exist_ok=True)
    with LOCK:
        state = _read_state()
        if not state:
            _build_web()
            state = {"pid": _start(), "users": []}
        users = [u for u in state["users"] if psutil.pid_exists(u)]  # type: ignore[attr-defined]
        state["users"] = [*users, me]
        STATE.write_text(json.dumps(state))
    try:
        yield Stack(
            web=f"http://127.0.0.1:{WEB_PORT}",
            tasks=f"http://127.0.0.1:{PORTS['reform_tasks']}",
            evaluation=f"http://127.0.0.1:{PORTS['evaluation']}",
            hotline=f"http://127.0.0.1:{PORTS['hotline_ingest']}",
            database=DATABASE,
        )
    finally:
        with LOCK:
            state = _read_state()
            left = [u for u in state.get("users", []) if u != me and psutil.pid_exists(u)]  # type: ignore[attr-defined]
            if state and not left:
                _stop(int(state["pid"]))  # type: ignore[call-overload]
                STATE.unlink(missing_ok=True)
            elif state:
                STATE.write_text(json.dumps({**state, "users": left}))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _browsing(browser: Browser, stack: Stack, **device: Any) -> Iterator[BrowserContext]:
    """A browser context on the stack's SPA, in Chinese and Shanghai time, downloads accepted;
    `device` is the screen (viewport, touch, …)."""
    context = browser.new_context(
        base_url=stack.web,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
        **device,
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    yield from _browsing(browser, stack, viewport=VIEWPORT)


@pytest.fixture
def phone(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    """A browser context as a phone: touch, mobile viewport, device pixel ratio 2."""
    yield from _browsing(
        browser, stack, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def login(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-password").press("Enter")
    page.get_by_test_id("current-user").wait_for()


def close_drawer(page: Page) -> None:
    """Close the open drawer with its own close button and wait until it is gone."""
    page.locator(".el-drawer__close-btn:visible").click()
    expect(page.locator(".el-overlay.is-drawer")).to_be_hidden()


SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"


def screenshot(page: Page, name: str) -> None:
    """`SCREENSHOTS=1 pytest tests/web` re-takes the README's pictures of the pages it checked."""
    if os.environ.get("SCREENSHOTS"):
        page.wait_for_timeout(800)  # dialogs, drawers and charts finish their animations
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def deliver(stack: Stack, event_type: str, data: dict[str, Any]) -> httpx.Response:
    """POST one delivery exactly as the 12345 platform signs it (Standard Webhooks)."""
    body = json.dumps(
        {"type": event_type, "timestamp": datetime.now(UTC).isoformat(), "data": data},
        ensure_ascii=False,
    )
    return httpx.post(
        f"{stack.hotline}/api/hotline/v1/webhooks/12345",
        content=body.encode(),
        headers=signed_headers(Webhook(WEBHOOK_SECRET), f"msg_{uuid.uuid4().hex}", body),
    )


# One caller per order (issue #26: one caller's orders about one matter within 30 days are repeat
# requests, counted once), each masked as 139****5678 as the pages show it. Per process a
# different run of numbers, for the workers sharing one stack.
_CALLERS = itertools.count(random.Random(os.getpid()).randrange(10_000))


def caller_phone() -> str:
    return f"139{next(_CALLERS) % 10_000:04d}5678"
