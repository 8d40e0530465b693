"""activity.time_revision and time_set_at: follow-ups keyed by the time they are about;
organization targets: each district sets its own monthly targets

Revision ID: b8e1f0c2d3a4
Revises: a9af44621a82
Create Date: 2026-12-05 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base


revision: str = 'b8e1f0c2d3a4'
down_revision: str | None = 'a9af44621a82'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing activities keep their current time as revision 1, set when they were created.
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_revision', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('time_set_at', models.base.UTCDateTime(timezone=True), nullable=True))
    # Districts keep the targets that were constants so far: 3 active networks, 90 % attendance.
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_active_networks', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('target_attendance_percent', sa.Integer(), server_default='90',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('target_attendance_percent')
        batch_op.drop_column('target_active_networks')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_column('time_set_at')
        batch_op.drop_column('time_revision')
