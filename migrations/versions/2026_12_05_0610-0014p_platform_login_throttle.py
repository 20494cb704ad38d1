"""platform: failed logins per username and per client; a token version per user

`platform.login_throttle` counts failed logins in a window and holds a lockout with a doubling
backoff (services/reform_tasks/auth/service.py); kept in PostgreSQL so that two replicas of
reform_tasks lock out the same flood.

`platform.users.token_version` is put in every token issued to the user and checked on each
request (shared/auth.py): disabling the user or its unit, changing its role or password raises
it, and every token issued before stops working at once.

Revision ID: 0014p
Revises: 0013h
Create Date: 2026-12-05 06:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014p"
down_revision: str | None = "0013h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        schema="platform",
    )
    op.add_column(
        "users",
        sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"),
        schema="platform",
    )


def downgrade() -> None:
    op.drop_column("users", "token_version", schema="platform")
    op.drop_table("login_throttle", schema="platform")
