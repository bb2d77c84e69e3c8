"""4calls provisioning: coordinators, webhook events, integration sync state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))

import app.models.base
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fourcalls_coordinators',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('fourcalls_id', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('greeting', sa.Text(), nullable=True),
    sa.Column('persona', sa.Text(), nullable=True),
    sa.Column('script', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('synced_version', sa.Integer(), nullable=False),
    sa.Column('phone_number', sa.String(length=40), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('retired_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_fourcalls_coordinators_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fourcalls_coordinators')),
    sa.UniqueConstraint('fourcalls_id', name=op.f('uq_fourcalls_coordinators_fourcalls_id'))
    )
    with op.batch_alter_table('fourcalls_coordinators', schema=None) as batch_op:
        batch_op.create_index('ix_fourcalls_coordinators_business_status', ['business_id', 'status'], unique=False)

    op.create_table('webhook_events',
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('organization_id', sa.String(length=255), nullable=True),
    sa.Column('business_id', sa.Uuid(), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('processed_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_webhook_events_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('source', 'event_id', name='uq_webhook_events_source_event_id')
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_events_business_received', ['business_id', 'received_at'], unique=False)
        batch_op.create_index('ix_webhook_events_source_type_received', ['source', 'event_type', 'received_at'], unique=False)

    # Server defaults fill the new NOT NULL columns of rows that already exist.
    with op.batch_alter_table('alphasite_fourcalls_integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_status', sa.String(length=20), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('desired_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('synced_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_synced_at', app.models.base.UTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('last_error_at', app.models.base.UTC(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('alphasite_fourcalls_integrations', schema=None) as batch_op:
        batch_op.drop_column('last_error_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('last_synced_at')
        batch_op.drop_column('synced_version')
        batch_op.drop_column('desired_version')
        batch_op.drop_column('target_status')

    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_events_source_type_received')
        batch_op.drop_index('ix_webhook_events_business_received')

    op.drop_table('webhook_events')
    with op.batch_alter_table('fourcalls_coordinators', schema=None) as batch_op:
        batch_op.drop_index('ix_fourcalls_coordinators_business_status')

    op.drop_table('fourcalls_coordinators')
