from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field

from shared.models.platform import Role
from shared.validation import Name, NewPassword, PatchModel

USERNAME_PATTERN = r"^[a-z][a-z0-9_.-]{1,63}$"


def _person_role(role: Role) -> Role:
    if role is Role.service:
        raise ValueError("service 角色只用于服务之间的调用（由服务各自签名），不能授予登录账号")
    return role


# A role a password account may have: never `service` (issue #23, machine roles).
AccountRole = Annotated[Role, AfterValidator(_person_role)]


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
    role: AccountRole
    unit_code: str | None = Field(default=None, description="单位账号必须指定所属单位")
    password: NewPassword = Field(description="至少 12 位，不能是常见或容易猜到的密码")


class UserUpdate(PatchModel):
    nullable: ClassVar[frozenset[str]] = frozenset({"unit_code"})

    display_name: Name | None = Field(default=None, min_length=1, max_length=64)
    role: AccountRole | None = None
    unit_code: str | None = None
    is_active: bool | None = None
    password: NewPassword | None = Field(
        default=None, description="重置密码：至少 12 位，不能是常见或容易猜到的密码"
    )
