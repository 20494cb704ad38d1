from __future__ import annotations

from pydantic import BaseModel, Field

from shared.models.platform import Role
from shared.validation import NewPassword


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105
    expires_in: int = Field(description="seconds until the token expires")


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    unit_code: str | None
    unit_name: str | None


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=128, description="当前密码")
    new_password: NewPassword = Field(description="新密码：至少 12 位，不能是常见或容易猜到的密码")
