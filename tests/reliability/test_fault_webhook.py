"""Webhook load with faults (issue item 1, small; `bench/reliability_webhook.py` runs 10 000
deliveries): signed lifecycles, each delivery sent up to three times and shuffled, retried like
a Standard Webhooks sender on any non-2xx; in the middle PostgreSQL is restarted and
hotline_ingest is killed with SIGKILL and started again. Afterwards every work order and event
is stored exactly once, the final states equal an in-order replay, nothing is half-written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.faults import PrivateCluster, webhook_with_faults

ORDERS = 100


@pytest.fixture
def cluster(worker_id_name: str) -> Iterator[PrivateCluster]:
    private = PrivateCluster(f"faults-{worker_id_name}")
    private.start()
    yield private
    private.stop()


async def test_every_delivery_lands_once_through_a_pg_restart_and_a_kill(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    run = await webhook_with_faults(cluster, tmp_path / "logs", ORDERS)

    statuses = run.report.statuses
    assert run.report.gave_up == [], (len(run.report.gave_up), statuses)
    failures = sum(n for status, n in statuses.items() if status != "200")
    assert failures > 0, statuses  # the faults did hit requests in flight
    assert "500" not in statuses, statuses  # database down is 503: retry, not a crash
    assert len(run.reference["work_orders"]) == ORDERS
    assert len(run.reference["events"]) == run.deliveries
    assert run.faulted["deliveries"] == [(run.deliveries,)]
    for part in ("work_orders", "events", "outbox"):
        assert run.faulted[part] == run.reference[part], part
    assert run.half_written == 0
