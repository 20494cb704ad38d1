from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.models.platform import UnitKind


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    aliases: list[str]
    kind: UnitKind
    parent_code: str | None = None
    is_active: bool
