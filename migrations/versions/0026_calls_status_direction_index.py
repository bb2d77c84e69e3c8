"""calls: index on (business, status, direction, started_at)

The call log's status + direction filter counts its matches (capped) newest
first. With only (business, status, started_at) or (business, direction,
started_at) PostgreSQL walked every call of the business's status, or every
call of every business by time, filtering as it went: about 11,600 index
entries for 1,001 matches in bench/http_load.py's data (1.6 ms); this index
walks the matches alone, index only (0.4 ms).

Revision ID: 0026
Revises: 0025
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    # CONCURRENTLY on PostgreSQL: a live calls table keeps taking writes (webhooks,
    # sync) while the index builds; it cannot run inside a transaction.
    with op.get_context().autocommit_block():
        op.create_index('ix_calls_business_status_direction_started', 'calls',
                        ['business_id', 'status', 'direction', 'started_at'], unique=False,
                        postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index('ix_calls_business_status_direction_started', table_name='calls',
                      postgresql_concurrently=True)
