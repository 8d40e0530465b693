"""membership index by community, role and person for counting a scope

Revision ID: e1068b5ab4d7
Revises: 660e9bbffc7c
Create Date: 2026-12-05 09:54:56.168291
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models


revision: str = 'e1068b5ab4d7'
down_revision: str | None = '660e9bbffc7c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index('ix_membership_community_id_role_person_id', ['community_id', 'role', 'person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index('ix_membership_community_id_role_person_id')

