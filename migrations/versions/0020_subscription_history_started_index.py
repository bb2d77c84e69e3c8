"""subscription history: index on started_at

The operator console's live month finds the businesses with a history row
started this month, and the launch month is the earliest row: both range
over started_at alone, which the (business_id, started_at) index cannot serve.

Revision ID: 0020
Revises: 0019
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_subscription_history_started', 'subscription_history', ['started_at'], unique=False)


def downgrade():
    op.drop_index('ix_subscription_history_started', table_name='subscription_history')
