from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    occurred_at: datetime
    kind: str
    summary: str
    actor_username: str | None
    actor_unit_code: str | None
    data: dict[str, Any]
