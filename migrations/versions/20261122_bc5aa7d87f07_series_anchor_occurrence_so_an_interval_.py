"""series: anchor occurrence, so an interval change keeps the numbering

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
    # Existing series are anchored at their first occurrence: 1.
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_occurrence', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('anchor_occurrence')
