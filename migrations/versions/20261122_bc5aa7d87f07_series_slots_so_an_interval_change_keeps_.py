"""series: slots, so an interval change keeps the numbering and the day of the month

Revision ID: bc5aa7d87f07
Revises: c65d043697f6
Create Date: 2026-11-22 11:19:51.554668
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'bc5aa7d87f07'
down_revision: str | None = 'c65d043697f6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing series: slots counted from their first start; their latest occurrence's slot is worked
    # out below from its number (no series was stopped or changed before this revision: there was no
    # command to do it).
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_months', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_slot', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE series SET last_slot = COALESCE((SELECT MAX(activity.occurrence) - 1 FROM activity "
               "WHERE activity.series_id = series.id), 0)")


def downgrade() -> None:
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('last_slot')
        batch_op.drop_column('base_months')
