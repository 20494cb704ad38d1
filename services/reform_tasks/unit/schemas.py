from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.models.platform import UnitKind
from shared.validation import Name, PatchModel

CODE_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
# An alias is stored as VARCHAR(64); a unit has at most this many (the office's own limit).
ALIAS_MAX_LENGTH = 64
ALIASES_MAX = 20

Alias = Annotated[Name, Field(max_length=ALIAS_MAX_LENGTH)]


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    aliases: list[str]
    kind: UnitKind
    parent_code: str | None = None
    is_active: bool


class UnitCreate(BaseModel):
    code: str = Field(pattern=CODE_PATTERN, description="拼音代码，小写字母开头")
    name: Name = Field(min_length=2, max_length=128, description="全称")
    short_name: Name = Field(min_length=1, max_length=64, description="简称")
    aliases: list[Alias] = Field(
        default_factory=list,
        max_length=ALIASES_MAX,
        description="别名（导入时识别）；与本单位代码、全称、简称或前一别名相同的（不区分大小写和全角半角）自动去掉",
    )
    kind: UnitKind
    parent_code: str | None = None


class UnitUpdate(PatchModel):
    nullable: ClassVar[frozenset[str]] = frozenset({"parent_code"})

    name: Name | None = Field(default=None, min_length=2, max_length=128)
    short_name: Name | None = Field(default=None, min_length=1, max_length=64)
    aliases: list[Alias] | None = Field(
        default=None,
        max_length=ALIASES_MAX,
        description="改名时原全称、原简称自动加为别名（与其他在用单位重名的除外）",
    )
    kind: UnitKind | None = None
    parent_code: str | None = None
    is_active: bool | None = None
