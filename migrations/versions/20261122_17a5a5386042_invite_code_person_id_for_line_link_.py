"""invite_code.person_id: a code that links a member without LINE to the LINE of whoever uses it

Revision ID: 17a5a5386042
Revises: a7c3e5d91b24
Create Date: 2026-11-22 20:22:13.388625
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '17a5a5386042'
down_revision: str | None = 'a7c3e5d91b24'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Codes made so far all give roles: they keep person_id empty.
    with op.batch_alter_table('invite_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invite_code_person_id_person'), 'person', ['person_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    # Unused link codes would become role codes for a plain member: drop them first.
    op.execute("DELETE FROM invite_code WHERE person_id IS NOT NULL")
    with op.batch_alter_table('invite_code', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invite_code_person_id_person'), type_='foreignkey')
        batch_op.drop_column('person_id')

