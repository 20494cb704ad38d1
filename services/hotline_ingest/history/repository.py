"""Storing imported events: the webhook's `hotline.receive_batch` inside the import's session,
so imported orders derive, quarantine and feed evaluation exactly like pushed ones. Never
commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from services.hotline_ingest.webhook.repository import PLANNED_TRANSACTION
from shared.models import Delivery
from shared.repository import RepositoryBase

_BATCH = text(
    "SELECT outcome, told FROM hotline.receive_batch(CAST(:ids AS text[]),"
    " CAST(:sources AS text[]), CAST(:headers AS text[]), CAST(:bodies AS bytea[]),"
    " CAST(:types AS text[]), CAST(:outcomes AS text[]), CAST(:errors AS text[]),"
    " CAST(:orders AS text[]), CAST(:moments AS timestamptz[]), CAST(:datas AS text[]),"
    " CAST(:names AS bytea[]), CAST(:phones AS bytea[]), CAST(:platforms AS text[]),"
    " CAST(:mapping_versions AS integer[]), CAST(:limits AS jsonb))"
)
# The arrays of `_BATCH`, in the order of each delivery's arguments (`Receipt.args`).
_ARRAYS = (
    "ids",
    "sources",
    "headers",
    "bodies",
    "types",
    "outcomes",
    "errors",
    "orders",
    "moments",
    "datas",
    "names",
    "phones",
    "platforms",
    "mapping_versions",
)


class HistoryRepository(RepositoryBase[Delivery]):
    model = Delivery

    async def receive_batch(
        self, deliveries: Sequence[tuple[Any, ...]], limits: str
    ) -> list[tuple[str, bool]]:
        """(outcome, whether the outbox was told) of each delivery, given as its `Receipt.args`
        in lock order; planned as the webhook plans it, for this transaction only."""
        columns = zip(*deliveries, strict=True)
        params: dict[str, object] = {n: list(c) for n, c in zip(_ARRAYS, columns, strict=True)}
        params["limits"] = limits
        await self.session.execute(PLANNED_TRANSACTION)
        rows = (await self.session.execute(_BATCH, params)).all()
        return [(str(r.outcome), bool(r.told)) for r in rows]
