"""Open311 GeoReport v2 shapes (https://wiki.open311.org/GeoReport_v2) and the api-key admin."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.validation import Name


class Open311Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = False
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str
    group: str


class Open311Request(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str | None = Field(
        description="诉求内容（手机号、身份证号已脱敏）；仅 read 权限的 api_key 可见"
    )
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: datetime | None
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class Open311Created(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None = None


class Open311Error(BaseModel):
    code: int
    description: str


class KeyIn(BaseModel):
    name: Name = Field(
        min_length=1, max_length=64, description="使用该密钥的系统，如 城市运行管理平台"
    )
    scopes: list[Literal["create", "read"]] = Field(
        default=["create"],
        min_length=1,
        max_length=2,
        description="create：提交诉求；read：查询时可见诉求内容和承办单位（公开查询不含）",
    )


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    scopes: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    api_key: str = Field(description="只在创建时显示一次；平台只保存其 SHA-256")
