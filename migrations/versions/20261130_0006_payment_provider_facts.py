"""payment provider facts

Revision ID: 0006
Revises: 0005
Created: 2026-11-30 00:47:23.363815
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.sqltypes

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connected_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('payouts_enabled', sa.Boolean(), nullable=False),
    sa.Column('details_submitted', sa.Boolean(), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_connected_accounts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connected_accounts')),
    sa.UniqueConstraint('provider', 'reference', name=op.f('uq_connected_accounts_provider_reference')),
    sa.UniqueConstraint('user_id', 'provider', name=op.f('uq_connected_accounts_user_id_provider'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_payment_id', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_provider_payment_id'), ['provider_payment_id'], unique=False)

    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_for', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('needs_attention', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_webhook_events_needs_attention'), ['needs_attention'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_events_waiting_for'), ['waiting_for'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_waiting_for'))
        batch_op.drop_index(batch_op.f('ix_webhook_events_needs_attention'))
        batch_op.drop_column('needs_attention')
        batch_op.drop_column('waiting_for')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_provider_payment_id'))
        batch_op.drop_column('provider_payment_id')

    op.drop_table('connected_accounts')
