"""payouts, and the test provider's own event log

Revision ID: 0007
Revises: 0006
Created: 2026-11-30 01:09:02.054988
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.sqltypes

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('test_provider_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_provider_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_test_provider_events_event_id'))
    )
    with op.batch_alter_table('test_provider_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_provider_events_created_at'), ['created_at'], unique=False)

    op.create_table('payout_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('started_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['started_by_user_id'], ['users.id'], name=op.f('fk_payout_runs_started_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_runs'))
    )
    with op.batch_alter_table('payout_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_runs_created_at'), ['created_at'], unique=False)

    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('curator_user_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('netted_minor', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('provider_reference', sa.String(length=255), nullable=True),
    sa.Column('destination', sa.String(length=255), nullable=False),
    sa.Column('failure_reason', sa.String(length=255), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_payouts_amount_positive')),
    sa.ForeignKeyConstraint(['curator_user_id'], ['users.id'], name=op.f('fk_payouts_curator_user_id_users')),
    sa.ForeignKeyConstraint(['run_id'], ['payout_runs.id'], name=op.f('fk_payouts_run_id_payout_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_curator_user_id'), ['curator_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_provider_reference'), ['provider_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_status'), ['status'], unique=False)

    # Not a batch: SQLite would rebuild `commissions`, which the append-only ledger references.
    # SQLite takes the foreign key inside ADD COLUMN; PostgreSQL gets a named constraint.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE commissions ADD COLUMN payout_id INTEGER '
            'CONSTRAINT fk_commissions_payout_id_payouts REFERENCES payouts (id)'
        )
    else:
        op.add_column('commissions', sa.Column('payout_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_commissions_payout_id_payouts'), 'commissions', 'payouts', ['payout_id'], ['id'])
    op.create_index(op.f('ix_commissions_payout_id'), 'commissions', ['payout_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('test_provider_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_provider_events_created_at'))

    op.drop_table('test_provider_events')
    op.drop_index(op.f('ix_commissions_payout_id'), table_name='commissions')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite drops a column with a foreign key only by rebuilding the table, with the ledger's own
        # foreign keys to it switched off meanwhile.
        op.execute('PRAGMA foreign_keys=OFF')
        with op.batch_alter_table('commissions', schema=None, recreate='always') as batch_op:
            batch_op.drop_column('payout_id')
        op.execute('PRAGMA foreign_keys=ON')
    else:
        op.drop_constraint(op.f('fk_commissions_payout_id_payouts'), 'commissions', type_='foreignkey')
        op.drop_column('commissions', 'payout_id')

    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payouts_status'))
        batch_op.drop_index(batch_op.f('ix_payouts_run_id'))
        batch_op.drop_index(batch_op.f('ix_payouts_provider_reference'))
        batch_op.drop_index(batch_op.f('ix_payouts_curator_user_id'))

    op.drop_table('payouts')
    with op.batch_alter_table('payout_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_runs_created_at'))

    op.drop_table('payout_runs')
