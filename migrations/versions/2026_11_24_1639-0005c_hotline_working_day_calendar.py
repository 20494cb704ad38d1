"""hotline working-day calendar: 2025–2026 from the State Council notices (holidays and 调休
make-up days, via the chinesecalendar data), 2027 statutory holidays provisional

Revision ID: 0005c
Revises: 0004h
Create Date: 2026-11-24 16:39:04.282813+00:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0005c"
down_revision: str | None = "0004h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


CALENDAR_EXCEPTIONS = [
    ("2025-01-01", False, "元旦", "国务院办公厅通知"),
    ("2025-01-26", True, "春节调休上班", "国务院办公厅通知"),
    ("2025-01-28", False, "春节", "国务院办公厅通知"),
    ("2025-01-29", False, "春节", "国务院办公厅通知"),
    ("2025-01-30", False, "春节", "国务院办公厅通知"),
    ("2025-01-31", False, "春节", "国务院办公厅通知"),
    ("2025-02-03", False, "春节", "国务院办公厅通知"),
    ("2025-02-04", False, "春节", "国务院办公厅通知"),
    ("2025-02-08", True, "春节调休上班", "国务院办公厅通知"),
    ("2025-04-04", False, "清明节", "国务院办公厅通知"),
    ("2025-04-27", True, "劳动节调休上班", "国务院办公厅通知"),
    ("2025-05-01", False, "劳动节", "国务院办公厅通知"),
    ("2025-05-02", False, "劳动节", "国务院办公厅通知"),
    ("2025-05-05", False, "劳动节", "国务院办公厅通知"),
    ("2025-06-02", False, "端午节", "国务院办公厅通知"),
    ("2025-09-28", True, "国庆节调休上班", "国务院办公厅通知"),
    ("2025-10-01", False, "国庆节", "国务院办公厅通知"),
    ("2025-10-02", False, "国庆节", "国务院办公厅通知"),
    ("2025-10-03", False, "国庆节", "国务院办公厅通知"),
    ("2025-10-06", False, "中秋节", "国务院办公厅通知"),
    ("2025-10-07", False, "国庆节", "国务院办公厅通知"),
    ("2025-10-08", False, "国庆节", "国务院办公厅通知"),
    ("2025-10-11", True, "国庆节调休上班", "国务院办公厅通知"),
    ("2026-01-01", False, "元旦", "国务院办公厅通知"),
    ("2026-01-02", False, "元旦", "国务院办公厅通知"),
    ("2026-01-04", True, "元旦调休上班", "国务院办公厅通知"),
    ("2026-02-14", True, "春节调休上班", "国务院办公厅通知"),
    ("2026-02-16", False, "春节", "国务院办公厅通知"),
    ("2026-02-17", False, "春节", "国务院办公厅通知"),
    ("2026-02-18", False, "春节", "国务院办公厅通知"),
    ("2026-02-19", False, "春节", "国务院办公厅通知"),
    ("2026-02-20", False, "春节", "国务院办公厅通知"),
    ("2026-02-23", False, "春节", "国务院办公厅通知"),
    ("2026-02-28", True, "春节调休上班", "国务院办公厅通知"),
    ("2026-04-06", False, "清明节", "国务院办公厅通知"),
    ("2026-05-01", False, "劳动节", "国务院办公厅通知"),
    ("2026-05-04", False, "劳动节", "国务院办公厅通知"),
    ("2026-05-05", False, "劳动节", "国务院办公厅通知"),
    ("2026-05-09", True, "劳动节调休上班", "国务院办公厅通知"),
    ("2026-06-19", False, "端午节", "国务院办公厅通知"),
    ("2026-09-20", True, "国庆节调休上班", "国务院办公厅通知"),
    ("2026-09-25", False, "中秋节", "国务院办公厅通知"),
    ("2026-10-01", False, "国庆节", "国务院办公厅通知"),
    ("2026-10-02", False, "国庆节", "国务院办公厅通知"),
    ("2026-10-05", False, "国庆节", "国务院办公厅通知"),
    ("2026-10-06", False, "国庆节", "国务院办公厅通知"),
    ("2026-10-07", False, "国庆节", "国务院办公厅通知"),
    ("2026-10-10", True, "国庆节调休上班", "国务院办公厅通知"),
    ("2027-01-01", False, "元旦（暂定）", "法定假日暂定，待国务院通知后修订"),
    ("2027-02-05", False, "春节（除夕）（暂定）", "法定假日暂定，待国务院通知后修订"),
    ("2027-02-08", False, "春节（暂定）", "法定假日暂定，待国务院通知后修订"),
    ("2027-04-05", False, "清明节（暂定）", "法定假日暂定，待国务院通知后修订"),
    ("2027-06-09", False, "端午节（暂定）", "法定假日暂定，待国务院通知后修订"),
    ("2027-09-15", False, "中秋节（暂定）", "法定假日暂定，待国务院通知后修订"),
    ("2027-10-01", False, "国庆节（暂定）", "法定假日暂定，待国务院通知后修订"),
]


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
        schema="hotline",
    )
    table = sa.table(
        "calendar_days",
        sa.column("day", sa.Date()),
        sa.column("is_workday", sa.Boolean()),
        sa.column("note", sa.String()),
        sa.column("source", sa.String()),
        schema="hotline",
    )
    op.bulk_insert(
        table,
        [
            {"day": date.fromisoformat(d), "is_workday": w, "note": n, "source": src}
            for d, w, n, src in CALENDAR_EXCEPTIONS
        ],
    )


def downgrade() -> None:
    op.drop_table("calendar_days", schema="hotline")
