"""The live score stream keeps a slow subscriber: after a burst it still gets the latest change."""

from __future__ import annotations

from services.evaluation.score.stream import QUEUE_SIZE, Broadcaster


def test_subscriber_behind_a_burst_keeps_the_latest_changes() -> None:
    broadcaster = Broadcaster()
    queue = broadcaster.subscribe()
    for n in range(QUEUE_SIZE * 3):
        broadcaster.publish({"unit_code": "keji", "total": n})
    assert broadcaster.subscribers == 1
    assert queue.qsize() == QUEUE_SIZE
    totals = [queue.get_nowait()["total"] for _ in range(QUEUE_SIZE)]
    assert totals == list(range(QUEUE_SIZE * 2, QUEUE_SIZE * 3))
    broadcaster.publish({"unit_code": "keji", "total": -1})
    assert queue.get_nowait()["total"] == -1
