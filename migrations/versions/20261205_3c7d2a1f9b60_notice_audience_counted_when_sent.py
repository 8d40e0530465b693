"""notice audience counted by community when the notice goes out

Revision ID: 3c7d2a1f9b60
Revises: e1068b5ab4d7
Create Date: 2026-12-05 10:50:00

`ประกาศ สถานะ` and `แจ้งเตือนด่วน สถานะ` re-derived a district's audience from every membership and
person at each look (1-3 s at Bangkok size). The counts are stored once per notice instead. Notices
sent before this revision are counted the first time their status is read (no backfill here, so the
upgrade stays a few statements on a big database).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models


revision: str = '3c7d2a1f9b60'
down_revision: str | None = 'e1068b5ab4d7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'notice_audience',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('reached', sa.Integer(), nullable=False),
        sa.Column('offline', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_notice_audience_community_id_community'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_audience_notice_id_notice'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_audience')),
    )
    with op.batch_alter_table('notice_audience', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_audience_notice_id'), ['notice_id'], unique=False)
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_at', models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table('notice_ack', schema=None) as batch_op:
        batch_op.create_index('ix_notice_ack_notice_id_kind_at', ['notice_id', 'kind', 'at'], unique=False)
        batch_op.create_index('ix_notice_ack_answered_for', ['notice_id', 'at'], unique=False,
                              postgresql_where=sa.text('proxy_by_id IS NOT NULL'),
                              sqlite_where=sa.text('proxy_by_id IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('notice_ack', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_ack_answered_for')
        batch_op.drop_index('ix_notice_ack_notice_id_kind_at')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('counted_at')
    with op.batch_alter_table('notice_audience', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_audience_notice_id'))
    op.drop_table('notice_audience')
