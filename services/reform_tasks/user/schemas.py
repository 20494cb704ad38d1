from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from shared.models.platform import Role
from shared.validation import Name, NewPassword, PatchModel

USERNAME_PATTERN = r"^[a-z][a-z0-9_.-]{1,63}$"


class UserOut(BaseModel):
    username: str
    display_name: str
    role: Role
    unit_code: str | None
    unit_name: str | None
    is_active: bool


class UserCreate(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN, description="登录名（小写字母开头）")
    display_name: Name = Field(min_length=1, max_length=64)
    role: Role
    unit_code: str | None = Field(default=None, description="单位账号必须指定所属单位")
    password: NewPassword = Field(description="至少 12 位，不能是常见或容易猜到的密码")


class UserUpdate(PatchModel):
    nullable: ClassVar[frozenset[str]] = frozenset({"unit_code"})

    display_name: Name | None = Field(default=None, min_length=1, max_length=64)
    role: Role | None = None
    unit_code: str | None = None
    is_active: bool | None = None
    password: NewPassword | None = Field(
        default=None, description="重置密码：至少 12 位，不能是常见或容易猜到的密码"
    )
