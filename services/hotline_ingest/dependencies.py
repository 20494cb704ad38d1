"""Query dependencies shared by the hotline's modules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from shared.errors import FieldError, ValidationFailed
from shared.periods import Period, parse_period


def period_query(
    period: Annotated[str, Query(description="2026、2026-H1、2026-Q3 或 2026-10")] = "2026",
) -> Period:
    try:
        return parse_period(period)
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), errors=[FieldError(loc=["query", "period"], msg=str(exc), type="value_error")]
        ) from exc


PeriodQuery = Annotated[Period, Depends(period_query)]
