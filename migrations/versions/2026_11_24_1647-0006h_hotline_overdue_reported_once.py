"""hotline: overdue reported once

Revision ID: 0006h
Revises: 0005c
Create Date: 2026-11-24 16:47:29.971593+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006h"
down_revision: str | None = "0005c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "work_orders",
        sa.Column("overdue_reported_at", sa.DateTime(timezone=True), nullable=True),
        schema="hotline",
    )


def downgrade() -> None:
    op.drop_column("work_orders", "overdue_reported_at", schema="hotline")
