from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from services.reform_tasks.unit.repository import ItemType
from shared.models.platform import ReorganisationKind, UnitKind
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
    # The survivor of a merge: where this (inactive) unit's open items went.
    merged_into: str | None = None


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


# --- reorganisation (机构改革, issue #21) ---------------------------------------------------------


class MergeIn(BaseModel):
    into: str = Field(description="存续单位代码：本单位的未办结事项、账号和12345工单转入该单位")


class Assignment(BaseModel):
    item_type: ItemType
    item_id: int
    unit: str = Field(description="承接该事项的单位代码（须在 into 之中）")


class SplitIn(BaseModel):
    into: list[str] = Field(min_length=1, max_length=20, description="承接单位代码")
    assignments: list[Assignment] = Field(
        default_factory=list, max_length=10_000, description="每个未办结事项由哪个单位承接"
    )
    hotline_unit: str | None = Field(
        default=None,
        description="12345 平台仍使用本单位代码时转给哪个单位（默认 into 的第一个）",
    )
    keep: bool = Field(
        default=False,
        description="保留本单位（不停用）：未分配的事项留在本单位，"
        "12345 代码仅在指定 hotline_unit 时转出",
    )


class DeactivateIn(BaseModel):
    reassign_to: str | None = Field(
        default=None, description="未办结事项和账号转入的单位；不填时有未办结事项则不能停用"
    )


class ItemOut(BaseModel):
    item_type: ItemType
    item_id: int
    label: str
    unit: str | None = Field(description="承接单位代码；拆分预览中尚未分配的为空")


class ReorganisationOut(BaseModel):
    kind: ReorganisationKind
    dry_run: bool
    unit: UnitOut
    into: list[str]
    items: list[ItemOut] = Field(description="转出的未办结事项（预览：将要转出的）")
    moved: dict[str, int] = Field(description="各类事项转出的件数")
    work_orders: int = Field(description="转出的未办结12345工单件数")
    hotline_unit: str | None = Field(description="12345 平台的本单位代码此后转给的单位")
    aliases_added: list[str] = Field(description="本单位名称中成为存续单位别名的")
    aliases_dropped: list[str] = Field(description="因与其他在用单位重名或别名已满而未保留的")
    users_deactivated: int = Field(description="停用的账号数（直接停用单位时）")
