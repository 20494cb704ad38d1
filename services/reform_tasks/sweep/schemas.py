from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class LaggingSweepResult(BaseModel):
    as_of: date
    announced: int = Field(description="本次通报的时间节点数（滞后 + 严重滞后）")
    lagging: int = Field(description="新滞后")
    seriously_lagging: int = Field(description="新严重滞后")


class OverdueSweepResult(BaseModel):
    as_of: date
    announced: int = Field(description="本次通报的逾期问题数")
