"""hotline categories and unit code mappings

Revision ID: 0007h
Revises: 0006h
Create Date: 2026-11-24 16:53:06.603041+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007h"
down_revision: str | None = "0006h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("domain_code", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
        schema="hotline",
    )
    op.create_table(
        "unit_code_mappings",
        sa.Column("external_code", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("mapped_by", sa.String(length=64), nullable=False),
        sa.Column(
            "mapped_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("external_code", name=op.f("pk_unit_code_mappings")),
        schema="hotline",
    )
    # The demo platform's categories (see shared/demo/data/hotline_templates.json).
    op.bulk_insert(
        sa.table(
            "categories",
            sa.column("code", sa.String()),
            sa.column("name", sa.String()),
            sa.column("domain_code", sa.String()),
            schema="hotline",
        ),
        [
            {"code": "qy_kaiban", "name": "企业开办", "domain_code": "shangshi"},
            {"code": "gc_shenpi", "name": "工程建设审批", "domain_code": "gongcheng"},
            {"code": "shuifei", "name": "税费办理", "domain_code": "nashui"},
            {"code": "yongdian", "name": "用电报装", "domain_code": "huodedianli"},
            {"code": "yongshui", "name": "用水用气报装", "domain_code": "yongshuiqi"},
            {"code": "tuoqian", "name": "拖欠企业账款", "domain_code": "zhengwu"},
            {"code": "zhengwu_xiaolv", "name": "政务服务效率", "domain_code": "zhengwu"},
            {"code": "shefei", "name": "涉企收费", "domain_code": "zhengwu"},
            {"code": "budongchan", "name": "不动产登记", "domain_code": "caichan"},
            {"code": "rongzi", "name": "融资难", "domain_code": "xindai"},
            {"code": "zhifa", "name": "行政执法", "domain_code": "jianguan"},
            {"code": "zaosheng", "name": "噪声扰民", "domain_code": None},
            {"code": "zhichan", "name": "知识产权侵权", "domain_code": "zhichan"},
        ],
    )


def downgrade() -> None:
    op.drop_table("unit_code_mappings", schema="hotline")
    op.drop_table("categories", schema="hotline")
