"""knowledge sources (custom AI training, issue 19)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 10:45:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('knowledge_sources',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('file_type', sa.String(length=10), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('chunk_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('fourcalls_id', sa.String(length=255), nullable=True),
    sa.Column('push_attempts', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Uuid(), nullable=True),
    sa.Column('ready_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_knowledge_sources_business_id_businesses')),
    sa.ForeignKeyConstraint(['coordinator_id'], ['fourcalls_coordinators.id'], name=op.f('fk_knowledge_sources_coordinator_id_fourcalls_coordinators')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_knowledge_sources_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_sources')),
    sa.UniqueConstraint('business_id', 'content_hash', name='uq_knowledge_sources_business_hash')
    )
    with op.batch_alter_table('knowledge_sources', schema=None) as batch_op:
        batch_op.create_index('ix_knowledge_sources_business_created', ['business_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('knowledge_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_knowledge_sources_business_created')

    op.drop_table('knowledge_sources')
