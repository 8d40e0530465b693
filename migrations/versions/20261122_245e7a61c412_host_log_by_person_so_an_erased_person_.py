"""host log: by_person, so an erased person's change is not shown as Saiyai's

Revision ID: 245e7a61c412
Revises: bc5aa7d87f07
Create Date: 2026-11-22 13:49:46.126507
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '245e7a61c412'
down_revision: str | None = 'bc5aa7d87f07'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('host_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_person', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Before this revision only proposals and "hosted" could be Saiyai's own; every other change was a
    # person's, erased or not. A proposal by a person since erased cannot be told apart any more.
    host_log = sa.table('host_log', sa.column('actor_id', sa.Integer()), sa.column('kind', sa.String()),
                        sa.column('by_person', sa.Boolean()))
    op.execute(host_log.update()
               .where(sa.or_(host_log.c.actor_id.is_not(None), host_log.c.kind.not_in(['proposed', 'hosted'])))
               .values(by_person=True))


def downgrade() -> None:
    with op.batch_alter_table('host_log', schema=None) as batch_op:
        batch_op.drop_column('by_person')
