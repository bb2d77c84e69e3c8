"""billing: accounts (Stripe customer and subscription per business), subscription history, invoices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 22:17:04.060132

"""
from alembic import op
import sqlalchemy as sa

import app.models.base

# revision identifiers, used by Alembic.
revision = '0003'
# Ids were handed out per area in advance; this one landed after 0006, so it follows it.
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_accounts',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_status', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('package_slug', sa.String(length=50), nullable=True),
    sa.Column('unit_amount', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('price_id', sa.String(length=255), nullable=True),
    sa.Column('renewal_amount', sa.Integer(), nullable=True),
    sa.Column('current_period_start', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('current_period_end', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('pending_package_slug', sa.String(length=50), nullable=True),
    sa.Column('pending_change_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('past_due_since', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('last_reconciled_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('invoices_refreshed_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_billing_accounts_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_accounts')),
    sa.UniqueConstraint('business_id', name=op.f('uq_billing_accounts_business_id')),
    sa.UniqueConstraint('stripe_customer_id', name=op.f('uq_billing_accounts_stripe_customer_id'))
    )
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_accounts_stripe_subscription_id'), ['stripe_subscription_id'], unique=False)

    op.create_table('billing_invoices',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('stripe_invoice_id', sa.String(length=255), nullable=False),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('number', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('billing_reason', sa.String(length=40), nullable=True),
    sa.Column('amount_due', sa.Integer(), nullable=False),
    sa.Column('amount_paid', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issued_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('paid_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('hosted_invoice_url', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_billing_invoices_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_invoices')),
    sa.UniqueConstraint('stripe_invoice_id', name=op.f('uq_billing_invoices_stripe_invoice_id'))
    )
    with op.batch_alter_table('billing_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_invoices_business_id'), ['business_id'], unique=False)

    op.create_table('subscription_history',
    sa.Column('business_id', sa.Uuid(), nullable=False),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('package_slug', sa.String(length=50), nullable=False),
    sa.Column('unit_amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('started_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('ended_at', app.models.base.UTC(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=60), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_subscription_history_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_history'))
    )
    with op.batch_alter_table('subscription_history', schema=None) as batch_op:
        batch_op.create_index('ix_subscription_history_business_started', ['business_id', 'started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('subscription_history', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_history_business_started')

    op.drop_table('subscription_history')
    with op.batch_alter_table('billing_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_invoices_business_id'))

    op.drop_table('billing_invoices')
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_accounts_stripe_subscription_id'))

    op.drop_table('billing_accounts')
