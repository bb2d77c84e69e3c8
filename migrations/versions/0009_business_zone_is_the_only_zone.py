"""the business's zone is the only zone: drop appointment_settings.timezone

Business.timezone (0008) was backfilled from this column, so nothing is lost.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 07:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointment_settings', schema=None) as batch_op:
        batch_op.drop_column('timezone')


def downgrade():
    with op.batch_alter_table('appointment_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
    # Give the settings back the zone of their business, then require it as before.
    op.execute(
        "UPDATE appointment_settings SET timezone = "
        "(SELECT b.timezone FROM businesses b WHERE b.id = appointment_settings.business_id)"
    )
    with op.batch_alter_table('appointment_settings', schema=None) as batch_op:
        batch_op.alter_column('timezone', existing_type=sa.String(length=64), nullable=False)
