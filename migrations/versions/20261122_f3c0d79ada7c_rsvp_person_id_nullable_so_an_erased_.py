"""rsvp: person_id nullable, so an erased person's past answers stay as counts

Revision ID: f3c0d79ada7c
Revises: 245e7a61c412
Create Date: 2026-11-22 15:01:58.752717
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'f3c0d79ada7c'
down_revision: str | None = '245e7a61c412'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.alter_column('person_id', existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    # Anonymous answers (their person erased) cannot be kept without a person: they go.
    op.execute("DELETE FROM rsvp WHERE person_id IS NULL")
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.alter_column('person_id', existing_type=sa.INTEGER(), nullable=False)
