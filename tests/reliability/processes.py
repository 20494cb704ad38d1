"""The services as real uvicorn processes on a database of their own, for fuzzing and faults:
started, killed with SIGKILL and restarted at will, on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.settings import REPO_ROOT

TARGETS = {
    "reform_tasks": "services.reform_tasks.app:app",
    "evaluation": "services.evaluation.app:app",
    "hotline_ingest": "services.hotline_ingest.app:app",
}
JWT_SECRET = "reliability-suite-jwt-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Services:
    database_url: str
    logs: Path
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = {name: free_port() for name in TARGETS}
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "ENVIRONMENT": "test",
            "JWT_SECRET": JWT_SECRET,
            "REFORM_TASKS_URL": self.url("reform_tasks"),
            "EVALUATION_URL": self.url("evaluation"),
            "HOTLINE_URL": self.url("hotline_ingest"),
            "OUTBOX_POLL_SECONDS": "0.2",
            "LOG_JSON": "false",
            "LOG_LEVEL": "WARNING",
            **self.env,
        }

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, *names: str, wait: bool = True) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for name in names or tuple(TARGETS):
            log = (self.logs / f"{name}.log").open("ab")
            self.running[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    TARGETS[name],
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.ports[name]),
                    "--no-access-log",
                ],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
        if wait:
            for name in names or tuple(TARGETS):
                self.wait_ready(name)

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.running[name]
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url(name)}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{name} never became ready")

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, in-flight requests and transactions are cut."""
        process = self.running.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.running.clear()
