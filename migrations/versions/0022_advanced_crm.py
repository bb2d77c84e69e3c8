"""advanced CRM: merged contacts point at the contact they were merged into; import mapping templates

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 10:50:00

"""
from alembic import op
import sqlalchemy as sa

from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql

import app.models.base

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contacts_merged_into_id_contacts'), 'contacts',
                                    ['merged_into_id'], ['id'], ondelete='SET NULL')
    op.create_table('contact_import_templates',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('mapping', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_contact_import_templates_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_import_templates')),
    sa.UniqueConstraint('business_id', 'name', name='uq_contact_import_templates_business_name')
    )


def downgrade():
    op.drop_table('contact_import_templates')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contacts_merged_into_id_contacts'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
