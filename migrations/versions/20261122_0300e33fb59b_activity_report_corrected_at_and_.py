"""activity_report: corrected_at and corrected_by, so a sent report can be corrected in place

Revision ID: 0300e33fb59b
Revises: d1e17fe7e799
Create Date: 2026-11-22 16:59:12.200732
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models


revision: str = '0300e33fb59b'
down_revision: str | None = 'd1e17fe7e799'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports sent so far were never corrected: both stay empty. Only the latest correction is kept.
    with op.batch_alter_table('activity_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corrected_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('corrected_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_activity_report_corrected_by_id_person'), 'person', ['corrected_by_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    # Corrected values stay in the report; only the record of who corrected it and when goes.
    with op.batch_alter_table('activity_report', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_activity_report_corrected_by_id_person'), type_='foreignkey')
        batch_op.drop_column('corrected_by_id')
        batch_op.drop_column('corrected_at')
