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

from shared.settings import REPO_ROOT, Environment, Settings
from shared.signing_keys import SIGNERS, new_private_text, private_key, public_text

TARGETS = {
    "reform_tasks": "services.reform_tasks.app:app",
    "evaluation": "services.evaluation.app:app",
    "hotline_ingest": "services.hotline_ingest.app:app",
}
# Each process signs with a key of its own and trusts the others' public keys, as in production
# (shared/signing_keys.py): only reform_tasks' key signs a person's token.
SIGNING_KEYS = {name: new_private_text() for name in SIGNERS}
VERIFY_KEYS = ",".join(
    f"{name}:{public_text(private_key(key))}" for name, key in SIGNING_KEYS.items()
)


def signing_env(process: str) -> dict[str, str]:
    return {"JWT_KEY_ID": process, "JWT_SIGNING_KEY": SIGNING_KEYS[process]}


def signer(process: str = "reform_tasks") -> Settings:
    """Settings that sign tokens as `process` does (the tests' way to mint its tokens)."""
    return Settings(
        environment=Environment.test,
        jwt_key_id=process,
        jwt_signing_key=SIGNING_KEYS[process],
        jwt_verify_keys=VERIFY_KEYS,
        _env_file=None,  # type: ignore[call-arg]
    )


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
            "JWT_VERIFY_KEYS": VERIFY_KEYS,
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
                env={**self.env, **signing_env(name)},
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
