"""rsvp: waiting_guests, so a seated member's guests who do not fit wait without her losing her seat

Revision ID: 5ea75a17e2c1
Revises: 5e1d0c2b7a90
Create Date: 2026-12-05 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '5ea75a17e2c1'
down_revision: str | None = '5e1d0c2b7a90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_guests', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('guests_waitlisted_at', models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.drop_column('guests_waitlisted_at')
        batch_op.drop_column('waiting_guests')
