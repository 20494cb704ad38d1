"""When a quarterly work report (季度工作报告) is due and how a unit stands against it.

Seed 003_fe0a5556b3029276.txt: "每季度末月25日前将工作开展情况报市创优营商环境组" — by the 25th of
the quarter's last month (March, June, September, December). "25日前" is read as "on the 25th
at the latest": a report on the 25th is on time. The seed names the day, not a working day, so a
25th on a weekend or holiday stays the due date (it is not moved; units submit online).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from shared.periods import Period

DUE_DAY = 25


class SubmissionStatus(StrEnum):
    on_time = "on_time"  # 按时报送
    late = "late"  # 逾期报送
    missing = "missing"  # 未报送 (past the due date)
    pending = "pending"  # 待报送 (not yet due)


STATUS_LABELS = {
    SubmissionStatus.on_time: "按时报送",
    SubmissionStatus.late: "逾期报送",
    SubmissionStatus.missing: "未报送",
    SubmissionStatus.pending: "待报送",
}


def due_date(quarter: Period) -> date:
    """The 25th of the quarter's last month."""
    return date(quarter.end.year, quarter.end.month, DUE_DAY)


def submission_status(due_on: date, submitted_on: date | None, as_of: date) -> SubmissionStatus:
    """A unit's standing as of a day: a report submitted by then is on time if on or before the
    due date, late after it; none by then is missing once the due date has passed, else
    pending."""
    if submitted_on is not None and submitted_on <= as_of:
        return SubmissionStatus.on_time if submitted_on <= due_on else SubmissionStatus.late
    return SubmissionStatus.missing if as_of > due_on else SubmissionStatus.pending
