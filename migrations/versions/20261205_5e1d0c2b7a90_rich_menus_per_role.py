"""rich menus per role: rich_menu table, person.rich_menu, outbox_message.rich_menu

Revision ID: 5e1d0c2b7a90
Revises: b8e1f0c2d3a4
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '5e1d0c2b7a90'
down_revision: str | None = 'b8e1f0c2d3a4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rich_menu',
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('rich_menu_id', sa.String(length=64), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rich_menu')),
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rich_menu', sa.String(length=32), nullable=True))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rich_menu', sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Menu rows mean nothing without their column.
    op.execute("DELETE FROM outbox_message WHERE kind IN ('menu_link', 'menu_unlink')")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('rich_menu')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('rich_menu')
    op.drop_table('rich_menu')
