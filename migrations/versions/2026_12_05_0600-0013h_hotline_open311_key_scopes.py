"""hotline: Open311 api keys carry scopes (`create`, `read`)

Public Open311 reads show no citizen's text any more (docs/HOTLINE.md "Open311"): the request's
description, the reply and the handling unit are returned only to a caller whose api_key has
the `read` scope. Keys issued before keep what they could do: `create`.

Revision ID: 0013h
Revises: 0012h
Create Date: 2026-12-05 06:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013h"
down_revision: str | None = "0012h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "open311_keys",
        sa.Column(
            "scopes",
            postgresql.ARRAY(sa.String(16)),
            nullable=False,
            server_default=sa.text("'{create}'::varchar[]"),
        ),
        schema="hotline",
    )


def downgrade() -> None:
    op.drop_column("open311_keys", "scopes", schema="hotline")
