from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from services.evaluation.score.schemas import Ranking


class FinalResults(BaseModel):
    """The year-end 结果 list: the year's ranking of every ranking group — frozen at closing
    once the programme is closed, provisional (live) before."""

    programme: str
    period: str = Field(description="考核年度")
    closed: bool = Field(description="改革工程已结束：成绩已定格为最终成绩")
    closed_on: date | None
    closed_by: str | None
    rankings: list[Ranking] = Field(description="按规则集排名分组，每组一张排名")
