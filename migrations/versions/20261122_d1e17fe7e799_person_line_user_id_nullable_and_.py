"""person: line_user_id nullable and consent_recorded_by, for members without LINE

Revision ID: d1e17fe7e799
Revises: f3c0d79ada7c
Create Date: 2026-11-22 16:55:44.480783
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd1e17fe7e799'
down_revision: str | None = 'f3c0d79ada7c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.alter_column('line_user_id', existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_person_consent_recorded_by_id_person'), 'person',
                                    ['consent_recorded_by_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    # Members without LINE cannot be kept without a user id: they go (their answers with them).
    op.execute("DELETE FROM person WHERE line_user_id IS NULL")
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_person_consent_recorded_by_id_person'), type_='foreignkey')
        batch_op.alter_column('line_user_id', existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_column('consent_recorded_by_id')
