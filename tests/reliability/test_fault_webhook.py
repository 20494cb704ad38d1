"""Webhook load with faults (issue item 1, small; `bench/reliability_webhook.py` runs 10 000):
signed lifecycles, each delivery sent up to three times and shuffled, retried like a Standard
Webhooks sender on any non-2xx; in the middle PostgreSQL is restarted and hotline_ingest is
killed with SIGKILL and started again. Afterwards every work order and event is stored exactly
once and the final states equal an in-order replay; no delivery is half-written."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.backup import backup_database, restore_database
from shared.embedded_pg import EmbeddedPostgres
from shared.settings import VAR_DIR, embedded_database_url
from tests import pg
from tests.reliability.faults import (
    SECRET,
    UNIT_ROWS,
    Sender,
    lifecycles,
    replay_in_order,
    snapshot,
)
from tests.reliability.processes import Services, free_port

ORDERS = 100


class PrivateCluster:
    """A PostgreSQL of this test's own, so it can be restarted without touching anyone else's
    databases; filled from the migrated template with the backup CLI's functions."""

    def __init__(self, worker: str, dump: Path) -> None:
        self.pg = EmbeddedPostgres(
            data_dir=VAR_DIR / f"test-pg-{pg.TEST_PG_PORT}-faults-{worker}",
            port=free_port(),
            server_settings={"fsync": "off", "synchronous_commit": "off"},
        )
        self.dump = dump

    def database(self, name: str) -> str:
        self.pg.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.pg.psql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        url = embedded_database_url(name, self.pg.port)
        restore_database(self.dump, url)
        self.pg.psql(UNIT_ROWS, name)
        return url

    def restart(self, down_seconds: float) -> None:
        self.pg.stop("fast")
        import time

        time.sleep(down_seconds)
        self.pg.start()


@pytest.fixture
def cluster(worker_id_name: str, tmp_path: Path) -> Iterator[PrivateCluster]:
    dump = tmp_path / "template.dump"
    backup_database(dump, pg.database_url(pg.TEMPLATE_DB))
    private = PrivateCluster(worker_id_name, dump)
    private.pg.start()
    yield private
    private.pg.stop("immediate")


async def test_every_delivery_lands_once_through_a_pg_restart_and_a_kill(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    faulted = cluster.database("faulted")
    reference = cluster.database("reference")
    deliveries = lifecycles(ORDERS, seed=9)
    services = Services(faulted, tmp_path / "logs", env={"HOTLINE_WEBHOOK_SECRETS": SECRET})
    services.start("hotline_ingest")
    try:
        sender = Sender(services.url("hotline_ingest"), deliveries, copies=3, seed=9)
        sending = asyncio.create_task(sender.run())
        await sender.reached(0.3)
        await asyncio.to_thread(cluster.restart, 1.5)
        await sender.reached(0.6)
        services.kill("hotline_ingest")
        await asyncio.sleep(0.5)
        services.start("hotline_ingest")
        report = await asyncio.wait_for(sending, 180)
    finally:
        services.stop()

    assert report.gave_up == []
    failures = sum(n for status, n in report.statuses.items() if status != "200")
    assert failures > 0, report.statuses  # the faults did hit requests in flight
    await replay_in_order(reference, deliveries)
    got, expected = await snapshot(faulted), await snapshot(reference)
    assert len(expected["work_orders"]) == ORDERS
    assert len(expected["events"]) == len(deliveries)
    assert got["deliveries"] == [(len(deliveries),)]
    for part in ("work_orders", "events", "outbox"):
        assert got[part] == expected[part], part
    half_written = cluster.pg.psql(
        "SELECT count(*) FROM hotline.deliveries d WHERE d.outcome = 'applied' AND NOT EXISTS "
        "(SELECT 1 FROM hotline.work_order_events e WHERE e.delivery_id = d.id)",
        "faulted",
    ).strip()
    assert half_written == "0"
