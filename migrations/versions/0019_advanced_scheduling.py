"""advanced scheduling: staff and resources, closures, slot claims, notice and horizon

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 10:55:00

"""
from alembic import op
import sqlalchemy as sa

from sqlalchemy import Text  # noqa: F401

import app.models.base
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade():
    op.create_table('staff_members',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('hours', _JSON, nullable=False),
    sa.Column('appointment_types', _JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_staff_members_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members')),
    sa.UniqueConstraint('business_id', 'name', name='uq_staff_members_business_name')
    )
    op.create_table('schedule_closures',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_schedule_closures_business_id_businesses')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_schedule_closures_staff_id_staff_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_closures'))
    )
    with op.batch_alter_table('schedule_closures', schema=None) as batch_op:
        batch_op.create_index('ix_schedule_closures_business_days', ['business_id', 'last_day'], unique=False)

    op.create_table('slot_claims',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('staff_key', sa.String(length=64), nullable=False),
    sa.Column('step_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('hold_key', sa.String(length=64), nullable=False),
    sa.Column('appointment_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_slot_claims_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_slot_claims_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slot_claims')),
    sa.UniqueConstraint('business_id', 'staff_key', 'step_at', name='uq_slot_claims_staff_step')
    )
    with op.batch_alter_table('slot_claims', schema=None) as batch_op:
        batch_op.create_index('ix_slot_claims_appointment', ['appointment_id'], unique=False)
        batch_op.create_index('ix_slot_claims_hold', ['hold_key'], unique=False)

    with op.batch_alter_table('appointment_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_notice_minutes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('horizon_days', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointments_staff_id_staff_members'), 'staff_members', ['staff_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_staff_id_staff_members'), type_='foreignkey')
        batch_op.drop_column('staff_id')

    with op.batch_alter_table('appointment_settings', schema=None) as batch_op:
        batch_op.drop_column('horizon_days')
        batch_op.drop_column('min_notice_minutes')

    with op.batch_alter_table('slot_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_slot_claims_hold')
        batch_op.drop_index('ix_slot_claims_appointment')
    op.drop_table('slot_claims')
    with op.batch_alter_table('schedule_closures', schema=None) as batch_op:
        batch_op.drop_index('ix_schedule_closures_business_days')
    op.drop_table('schedule_closures')
    op.drop_table('staff_members')
