"""notice_ack: proxy_by_id, so a leader can answer an alert for a member without LINE

Revision ID: a7c3e5d91b24
Revises: 0300e33fb59b
Create Date: 2026-11-22 20:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'a7c3e5d91b24'
down_revision: str | None = '0300e33fb59b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notice_ack', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proxy_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notice_ack_proxy_by_id_person'), 'person', ['proxy_by_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('notice_ack', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notice_ack_proxy_by_id_person'), type_='foreignkey')
        batch_op.drop_column('proxy_by_id')
