"""One Alembic history: a fresh database migrates up, down and up again, and matches the models."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.models import SCHEMAS, Base
from tests import pg

SCHEMA_LIST = ",".join(f"'{s}'" for s in SCHEMAS)


def test_fresh_database_migrates_up_down_and_up() -> None:
    cluster = pg.test_cluster()
    cluster.psql('DROP DATABASE IF EXISTS "migration_check" WITH (FORCE)')
    cluster.psql('CREATE DATABASE "migration_check"')
    config = pg.alembic_config(pg.database_url("migration_check"))
    try:
        command.upgrade(config, "heads")
        tables = cluster.psql(
            f"SELECT count(*) FROM information_schema.tables WHERE table_schema IN ({SCHEMA_LIST})",
            "migration_check",
        )
        assert int(tables) == len(Base.metadata.tables)
        command.downgrade(config, "base")
        schemas = cluster.psql(
            "SELECT count(*) FROM information_schema.schemata "
            f"WHERE schema_name IN ({SCHEMA_LIST})",
            "migration_check",
        )
        assert int(schemas) == 0
        command.upgrade(config, "heads")
    finally:
        cluster.psql('DROP DATABASE IF EXISTS "migration_check" WITH (FORCE)')


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    def diff(sync_conn: Connection) -> list[Any]:
        context = MigrationContext.configure(
            sync_conn,
            opts={
                "include_schemas": True,
                "compare_type": True,
                "include_name": lambda name, type_, _: type_ != "schema" or name in SCHEMAS,
            },
        )
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


def test_one_alembic_history_has_one_head() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(pg.alembic_config(pg.database_url("x"))).get_heads()
    assert len(heads) == 1, f"merge the Alembic heads: {heads}"
