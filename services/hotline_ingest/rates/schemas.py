from __future__ import annotations

from pydantic import BaseModel, Field


class UnitRates(BaseModel):
    unit_code: str
    unit_name: str
    orders: int = Field(description="受理工单数（期内受理）")
    responded_in_time: int = Field(description="时限内签收数")
    response_due: int = Field(description="响应率分母：已签收或已过签收时限的工单")
    visited: int = Field(description="已回访数")
    resolved: int = Field(description="回访已解决数")
    satisfied: int = Field(description="回访满意及基本满意数")
    closed: int = Field(description="已办结数")
    closed_on_time: int = Field(description="按期办结数（办理期限内办结）")
    closing_due: int = Field(description="按时办结率分母：已办结或已过办理期限未办结的工单")
    response_rate: float | None = Field(description="响应率 = 时限内签收 ÷ 响应率分母")
    resolution_rate: float | None = Field(description="解决率 = 已解决 ÷ 已回访")
    satisfaction_rate: float | None = Field(
        description="满意率 = (满意 + 基本满意) ÷ (已回访 − 经申诉改判)"
    )
    on_time_closing_rate: float | None = Field(description="按时办结率 = 按期办结 ÷ 按时办结率分母")
    overdue: int = Field(description="超期工单数（逾期办结或已过办理期限未办结）")
    first_contacted_in_time: int = Field(
        default=0, description="时限内先行联系数（办公室默认时限：签收时限，自受理起算）"
    )
    overturned: int = Field(default=0, description="经申诉改判的不满意回访数（不计入满意率）")
    first_contact_rate: float | None = Field(
        default=None, description="先行联系率 = 时限内先行联系 ÷ 受理工单数"
    )
    previous_response_rate: float | None = None
    previous_resolution_rate: float | None = None
    previous_satisfaction_rate: float | None = None
    previous_on_time_closing_rate: float | None = None


class TrendPoint(BaseModel):
    period: str
    orders: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    on_time_closing_rate: float | None
    overdue: int


class UnitTrend(BaseModel):
    unit_code: str
    unit_name: str
    points: list[TrendPoint]
