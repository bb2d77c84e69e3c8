"""dashboard and sync: sync cursors, usage notices, indexes for contact linking, call statistics and call search

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 22:14:40.412583

"""
from alembic import op
import sqlalchemy as sa

import app.models.base

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_cursors',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('updated_since', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('last_synced_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_sync_cursors_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_cursors')),
    sa.UniqueConstraint('business_id', 'kind', name='uq_sync_cursors_business_kind')
    )
    op.create_table('usage_notices',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('service_type', sa.String(length=50), nullable=False),
    sa.Column('period_start', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('usage_count', sa.Integer(), nullable=False),
    sa.Column('usage_limit', sa.Integer(), nullable=False),
    sa.Column('dismissed_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_usage_notices_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_notices'))
    )
    with op.batch_alter_table('usage_notices', schema=None) as batch_op:
        batch_op.create_index('uq_usage_notices_business_service_period_threshold', ['business_id', 'service_type', 'period_start', 'threshold'], unique=True)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_business_contact_remote', ['business_id', 'contact_remote_id'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_business_contact_remote', ['business_id', 'contact_remote_id'], unique=False)
        batch_op.create_index('ix_calls_business_started_stats', ['business_id', 'started_at', 'status', 'outcome', 'duration_seconds'], unique=False)


    # Full-text search of the call log (PostgreSQL only; SQLite searches with LIKE).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_calls_search_fts ON calls USING gin (to_tsvector('english', search_text))")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_calls_search_fts")
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_business_started_stats')
        batch_op.drop_index('ix_calls_business_contact_remote')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_business_contact_remote')

    with op.batch_alter_table('usage_notices', schema=None) as batch_op:
        batch_op.drop_index('uq_usage_notices_business_service_period_threshold')

    op.drop_table('usage_notices')
    op.drop_table('sync_cursors')
