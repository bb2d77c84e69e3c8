"""campaign message follow-ups: one row per campaign and unreached contact texted (or emailed)

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa

import app.models.base


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_message_follow_ups',
    sa.Column('campaign_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=5), nullable=True),
    sa.Column('skip_reason', sa.String(length=20), nullable=True),
    sa.Column('message_id', sa.Uuid(), nullable=True),
    sa.Column('sent_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_message_follow_ups_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_campaign_message_follow_ups_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['contact_messages.id'], name=op.f('fk_campaign_message_follow_ups_message_id_contact_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by_user_id'], ['users.id'], name=op.f('fk_campaign_message_follow_ups_sent_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_message_follow_ups')),
    sa.UniqueConstraint('campaign_id', 'contact_id', name='uq_campaign_message_follow_ups_contact')
    )


def downgrade():
    op.drop_table('campaign_message_follow_ups')
