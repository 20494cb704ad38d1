"""The test PostgreSQL: one embedded cluster under ./var/test-pg, a migrated template database,
and one database per xdist worker cloned from it."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from filelock import FileLock

from migrations.history import SQL_DIRS
from shared.embedded_pg import EmbeddedPostgres
from shared.settings import REPO_ROOT, VAR_DIR, Environment, Settings, embedded_database_url

# Whatever uses the test cluster (the suite, the benchmarks) runs as ENVIRONMENT=test unless told
# otherwise: without it the platform applies production's rules (shared/settings.py).
os.environ.setdefault("ENVIRONMENT", "test")

TEST_PG_PORT = int(os.environ.get("TEST_PG_PORT", "54330"))
TEMPLATE_DB = "reform_template"


def test_cluster() -> EmbeddedPostgres:
    """Set TEST_PG_PORT to run a second, independent suite at the same time (own data dir)."""
    suffix = "" if TEST_PG_PORT == 54330 else f"-{TEST_PG_PORT}"
    return EmbeddedPostgres(
        data_dir=VAR_DIR / f"test-pg{suffix}",
        port=TEST_PG_PORT,
        # Throwaway data: trade durability for speed.
        server_settings={"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"},
    )


def database_url(name: str) -> str:
    return embedded_database_url(name, TEST_PG_PORT)


def alembic_config(url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


def migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    migrations = (REPO_ROOT / "migrations").rglob("*.py")
    functions = [path for root in SQL_DIRS.values() for path in root.rglob("*.sql")]
    for path in sorted([*migrations, *functions]):
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update(Path(REPO_ROOT / "shared" / "models").name.encode())
    return digest.hexdigest()[:16]


def prepare_template(pg: EmbeddedPostgres) -> None:
    """(Re)build the migrated template when the migrations changed since it was made."""
    fingerprint = migrations_fingerprint()
    current = pg.psql(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
        f"WHERE datname = '{TEMPLATE_DB}'"
    ).strip()
    if current == fingerprint:
        return
    pg.psql(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
    pg.psql(f'CREATE DATABASE "{TEMPLATE_DB}"')
    # In a thread of its own: migrations/env.py runs asyncio.run(), which cannot be called from
    # a running event loop (the benchmarks prepare the cluster from inside theirs).
    failure: list[BaseException] = []

    def upgrade() -> None:
        try:
            command.upgrade(alembic_config(database_url(TEMPLATE_DB)), "heads")
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=upgrade, name="migrate-template")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    pg.psql(f"COMMENT ON DATABASE \"{TEMPLATE_DB}\" IS '{fingerprint}'")


def start_and_prepare() -> EmbeddedPostgres:
    pg = test_cluster()
    VAR_DIR.mkdir(exist_ok=True)
    with FileLock(str(pg.data_dir.parent / f"{pg.data_dir.name}.lock")):
        pg.start()
        prepare_template(pg)
    return pg


def clone_database(pg: EmbeddedPostgres, name: str) -> str:
    pg.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg.psql(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    return database_url(name)


def settings_for(url: str, **override: object) -> Settings:
    """A service's settings on a test database, run in process (tests, benchmarks): no outbox
    relay, quiet logs, no .env file; `override` sets anything else (webhook secrets, …)."""
    return Settings(
        environment=Environment.test,
        database_url=url,
        outbox_relay_enabled=False,
        log_json=False,
        log_level="WARNING",
        _env_file=None,  # type: ignore[call-arg]
        **override,  # type: ignore[arg-type]
    )
