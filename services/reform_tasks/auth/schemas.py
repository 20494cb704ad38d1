from __future__ import annotations

from pydantic import BaseModel, Field

from shared.models.platform import Role


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
