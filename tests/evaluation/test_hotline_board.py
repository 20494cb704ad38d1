"""12345 红黑榜 (issue #26): each ranking group's units ranked by the hotline component's share,
the top N on the red list, the bottom N well below the median on the black list, units no order
counts for left out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from shared.models import Role
from tests.conftest import Factory
from tests.evaluation.conftest import Events, publish_rule_set

JUNE = datetime(2026, 6, 10, 2, tzinfo=UTC)


async def test_the_board_ranks_a_groups_units_by_their_hotline_share(
    evaluation_client: httpx.AsyncClient, factory: Factory, events: Events, city: dict[str, Any]
) -> None:
    await publish_rule_set(evaluation_client, factory, {}, top_n=1, bottom_n=1, naming_margin=1.0)
    # shichang: every visit satisfied and resolved; shuiwu: half; zhengwu: no order at all.
    for unit, visits in (("shichang", [True, True]), ("shuiwu", [True, False])):
        for n, good in enumerate(visits):
            order = f"{unit}-{n}"
            await events.send("work_order.created", unit, JUNE, {"order_no": order})
            await events.send(
                "work_order.visited",
                unit,
                JUNE,
                {
                    "order_no": order,
                    "resolved": good,
                    "satisfaction": "satisfied" if good else "dissatisfied",
                },
            )
    response = await evaluation_client.get(
        "/api/evaluation/v1/rankings/hotline",
        params={"period": "2026-06", "group": "department"},
        headers=factory.headers("shuiwu", Role.unit, "shuiwu"),  # published: every unit sees it
    )
    assert response.status_code == 200, response.text
    board = response.json()
    rows = {r["unit_code"]: r for r in board["items"]}
    assert list(rows) == ["shichang", "shuiwu"]  # zhengwu: no order counts for it
    # 0.3 × response (none due: full) + 0.3 × resolution + 0.4 × satisfaction
    assert rows["shichang"]["score"] == 100
    assert rows["shuiwu"]["score"] == 65
    assert (rows["shichang"]["red"], rows["shichang"]["black"]) == (True, False)
    assert (rows["shuiwu"]["red"], rows["shuiwu"]["black"]) == (False, True)
    assert (rows["shuiwu"]["orders"], rows["shuiwu"]["satisfaction_rate"]) == (2, 0.5)
    assert rows["shuiwu"]["response_rate"] is None  # nothing due yet: shown as —
    unknown = await evaluation_client.get(
        "/api/evaluation/v1/rankings/hotline",
        params={"period": "2026-06", "group": "nope"},
        headers=factory.headers("office", Role.office_admin, "gaigeban"),
    )
    assert unknown.status_code == 422
