"""person name keys stored and indexed for look-ups by name

Revision ID: 660e9bbffc7c
Revises: 541145a08443
Create Date: 2026-12-05 09:32:21.550023
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models
from models.names import given_name_key, person_key


revision: str = '660e9bbffc7c'
down_revision: str | None = '541145a08443'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('given_key', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_person_given_key'), ['given_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_name_key'), ['name_key'], unique=False)

    # Existing names get their keys, a batch at a time (the keys are computed in Python: models/names.py).
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("full_name", sa.String),
                      sa.column("name_key", sa.String), sa.column("given_key", sa.String))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.select(person.c.id, person.c.full_name).where(
            person.c.id > last, person.c.full_name.is_not(None)).order_by(person.c.id).limit(5000)).all()
        if not rows:
            break
        conn.execute(person.update().where(person.c.id == sa.bindparam("pid")).values(
            name_key=sa.bindparam("nk"), given_key=sa.bindparam("gk")),
            [{"pid": pid, "nk": person_key(name), "gk": given_name_key(name)} for pid, name in rows])
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_name_key'))
        batch_op.drop_index(batch_op.f('ix_person_given_key'))
        batch_op.drop_column('given_key')
        batch_op.drop_column('name_key')

