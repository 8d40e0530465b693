"""index foreign keys to person and hot paths; sent outbox rows keep only a count

Revision ID: a9af44621a82
Revises: 17a5a5386042
Create Date: 2026-12-05 08:02:03.856285
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models


revision: str = 'a9af44621a82'
down_revision: str | None = '17a5a5386042'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Deleting a person checks every row that points at them: without these indexes each check was a scan
    # (1.7 s for one `ลบสมาชิก` at Bangkok size). On a big live database, build them CONCURRENTLY by hand first.
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_host_community_id'), ['host_community_id'], unique=False)

    with op.batch_alter_table('activity_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_report_corrected_by_id'), ['corrected_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_report_reporter_id'), ['reporter_id'], unique=False)

    with op.batch_alter_table('chat_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_link_linked_by_id'), ['linked_by_id'], unique=False)

    with op.batch_alter_table('host_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_host_log_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_host_log_actor_id'), ['actor_id'], unique=False)

    with op.batch_alter_table('invite_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invite_code_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invite_code_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invite_code_used_by_id'), ['used_by_id'], unique=False)

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index('ix_membership_organization_id_role', ['organization_id', 'role'], unique=False)

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_author_id'), ['author_id'], unique=False)

    with op.batch_alter_table('notice_ack', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_ack_proxy_by_id'), ['proxy_by_id'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_count', sa.Integer(), nullable=True))
        batch_op.create_index('ix_outbox_message_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_target'), ['target'], unique=False)

    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_representative_id'), ['representative_id'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_consent_recorded_by_id'), ['consent_recorded_by_id'], unique=False)

    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rsvp_checked_in_by_id'), ['checked_in_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rsvp_proxy_by_id'), ['proxy_by_id'], unique=False)

    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_created_by_id'), ['created_by_id'], unique=False)

    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_event_received_at', ['received_at'], unique=False)
        batch_op.create_index('ix_webhook_event_user_id', ['user_id'], unique=False)

    # Sent rows keep how many they reached, not who or what (erasure then never reads them).
    op.execute("UPDATE outbox_message SET recipient_count = json_array_length(recipients) WHERE recipients IS NOT NULL")
    op.execute("UPDATE outbox_message SET messages = '[]', recipients = NULL WHERE state = 'sent'")


def downgrade() -> None:
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_event_user_id')
        batch_op.drop_index('ix_webhook_event_received_at')

    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_created_by_id'))

    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rsvp_proxy_by_id'))
        batch_op.drop_index(batch_op.f('ix_rsvp_checked_in_by_id'))

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_consent_recorded_by_id'))

    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_representative_id'))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_target'))
        batch_op.drop_index('ix_outbox_message_created_at')
        batch_op.drop_column('recipient_count')

    with op.batch_alter_table('notice_ack', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_ack_proxy_by_id'))

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_author_id'))

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index('ix_membership_organization_id_role')

    with op.batch_alter_table('invite_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invite_code_used_by_id'))
        batch_op.drop_index(batch_op.f('ix_invite_code_person_id'))
        batch_op.drop_index(batch_op.f('ix_invite_code_created_by_id'))

    with op.batch_alter_table('host_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_host_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_host_log_activity_id'))

    with op.batch_alter_table('chat_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_link_linked_by_id'))

    with op.batch_alter_table('activity_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_report_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_activity_report_corrected_by_id'))

    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_host_community_id'))
        batch_op.drop_index(batch_op.f('ix_activity_created_by_id'))

