from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ProgrammeSettings(BaseModel):
    """Battle-map thresholds: days past the planned date before a milestone is lagging /
    seriously lagging."""

    lagging_after_days: int = Field(ge=0, le=365)
    seriously_lagging_after_days: int = Field(ge=1, le=365)

    @model_validator(mode="after")
    def _ordered(self) -> ProgrammeSettings:
        if self.seriously_lagging_after_days <= self.lagging_after_days:
            raise ValueError("严重滞后天数必须大于滞后天数")
        return self


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    year: int
    starts_on: date
    ends_on: date
    benchmark_city: str
    settings: ProgrammeSettings


class DomainOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    ordinal: int
