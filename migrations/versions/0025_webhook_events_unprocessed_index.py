"""webhook events: partial index on the unprocessed rows

4calls events are applied by batch jobs that read the unprocessed rows of a
source, oldest first (app/webhooks/services.py::process_stored_events), and
so does the sweep: a few rows among every event ever received.

Revision ID: 0025
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_webhook_events_unprocessed', 'webhook_events', ['source', 'received_at'], unique=False,
                    postgresql_where=sa.text('processed_at IS NULL'), sqlite_where=sa.text('processed_at IS NULL'))


def downgrade():
    op.drop_index('ix_webhook_events_unprocessed', table_name='webhook_events')
