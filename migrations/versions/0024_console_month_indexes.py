"""console month indexes: subscription_history(ended_at), calls(started_at) INCLUDE usage columns

The operator console's live month and margin card read the history rows in
effect at a month's start (ended after it, or still open) beside those started
since; with an index on ended_at PostgreSQL ORs two index scans instead of
reading the whole table. The month's calls over every business (margin,
usage) become an index-only range scan on started_at (INCLUDE is PostgreSQL's;
SQLite gets the plain started_at index).

Revision ID: 0024
Revises: 0023
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_subscription_history_ended', 'subscription_history', ['ended_at'], unique=False)
    op.create_index('ix_calls_started_usage', 'calls', ['started_at'], unique=False,
                    postgresql_include=['business_id', 'direction', 'duration_seconds', 'status'])


def downgrade():
    op.drop_index('ix_calls_started_usage', table_name='calls')
    op.drop_index('ix_subscription_history_ended', table_name='subscription_history')
