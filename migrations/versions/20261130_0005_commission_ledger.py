"""commission ledger, refunds by order line, and the shops under self-referral review per order

Revision ID: 0005
Revises: 0004
Created: 2026-11-30 00:07:38.338715
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.sqltypes

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('commission_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('rate_bps', sa.Integer(), nullable=False),
    sa.Column('updated_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate_bps >= 0 AND rate_bps <= 10000', name=op.f('ck_commission_rates_rate_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_rates')),
    sa.UniqueConstraint('scope', 'target_id', name=op.f('uq_commission_rates_scope_target_id'))
    )
    op.create_table('curator_tiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('min_sales_minor', sa.BigInteger(), nullable=False),
    sa.Column('bonus_bps', sa.Integer(), nullable=False),
    sa.CheckConstraint('bonus_bps > 0 AND bonus_bps <= 5000', name=op.f('ck_curator_tiers_bonus_in_range')),
    sa.CheckConstraint('min_sales_minor > 0', name=op.f('ck_curator_tiers_threshold_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_curator_tiers')),
    sa.UniqueConstraint('currency', 'min_sales_minor', name=op.f('uq_curator_tiers_currency_min_sales_minor'))
    )
    op.create_table('ledger_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('cause_type', sa.String(length=20), nullable=False),
    sa.Column('cause_id', sa.Integer(), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('memo', sa.String(length=255), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_transactions.id'], name=op.f('fk_ledger_transactions_reverses_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transactions')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_ledger_transactions_idempotency_key'))
    )
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transactions_created_at'), ['created_at'], unique=False)

    op.create_table('ledger_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ledger_accounts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('owner', 'kind', 'currency', name=op.f('uq_ledger_accounts_owner_kind_currency'))
    )
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_accounts_user_id'), ['user_id'], unique=False)

    op.create_table('commissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('curator_user_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('base_minor', sa.BigInteger(), nullable=False),
    sa.Column('rate_bps', sa.Integer(), nullable=False),
    sa.Column('rate_source', sa.String(length=80), nullable=False),
    sa.Column('earned_minor', sa.BigInteger(), nullable=False),
    sa.Column('refunded_base_minor', sa.BigInteger(), nullable=False),
    sa.Column('reversed_minor', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('held_from', sa.String(length=12), nullable=True),
    sa.Column('status_reason', sa.String(length=255), nullable=False),
    sa.Column('holds', sa.Integer(), nullable=False),
    sa.Column('matures_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['curator_user_id'], ['users.id'], name=op.f('fk_commissions_curator_user_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_commissions_order_id_orders')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_commissions_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_commissions_payment_id_payments')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_commissions_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commissions')),
    sa.UniqueConstraint('order_line_id', name=op.f('uq_commissions_order_line_id'))
    )
    with op.batch_alter_table('commissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commissions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_commissions_curator_user_id'), ['curator_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commissions_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commissions_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_commissions_status_matures_at', ['status', 'matures_at'], unique=False)

    op.create_table('ledger_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('debit_account_id', sa.Integer(), nullable=False),
    sa.Column('credit_account_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('commission_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_ledger_transfers_amount_positive')),
    sa.CheckConstraint('debit_account_id <> credit_account_id', name=op.f('ck_ledger_transfers_two_accounts')),
    sa.ForeignKeyConstraint(['commission_id'], ['commissions.id'], name=op.f('fk_ledger_transfers_commission_id_commissions')),
    sa.ForeignKeyConstraint(['credit_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_credit_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['debit_account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_transfers_debit_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_ledger_transfers_transaction_id_ledger_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transfers'))
    )
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transfers_commission_id'), ['commission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfers_credit_account_id'), ['credit_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfers_debit_account_id'), ['debit_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfers_transaction_id'), ['transaction_id'], unique=False)
    op.create_table('refund_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_refund_lines_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_lines_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_lines'))
    )
    with op.batch_alter_table('refund_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_lines_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_lines_refund_id'), ['refund_id'], unique=False)

    with op.batch_alter_table('order_attributions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_shop_ids', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))

    _make_append_only()


def downgrade() -> None:
    _drop_append_only()
    with op.batch_alter_table('order_attributions', schema=None) as batch_op:
        batch_op.drop_column('review_shop_ids')
    with op.batch_alter_table('refund_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_lines_refund_id'))
        batch_op.drop_index(batch_op.f('ix_refund_lines_order_line_id'))

    op.drop_table('refund_lines')
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transfers_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfers_debit_account_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfers_credit_account_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfers_commission_id'))

    op.drop_table('ledger_transfers')
    with op.batch_alter_table('commissions', schema=None) as batch_op:
        batch_op.drop_index('ix_commissions_status_matures_at')
        batch_op.drop_index(batch_op.f('ix_commissions_shop_id'))
        batch_op.drop_index(batch_op.f('ix_commissions_order_id'))
        batch_op.drop_index(batch_op.f('ix_commissions_curator_user_id'))
        batch_op.drop_index(batch_op.f('ix_commissions_created_at'))

    op.drop_table('commissions')
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_accounts_user_id'))

    op.drop_table('ledger_accounts')
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transactions_created_at'))

    op.drop_table('ledger_transactions')
    op.drop_table('curator_tiers')
    op.drop_table('commission_rates')


APPEND_ONLY = ("ledger_transactions", "ledger_transfers")


def _make_append_only() -> None:
    """The database itself refuses to change or remove a ledger row: corrections are new, opposite transfers."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
            )
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} EXECUTE FUNCTION ledger_refuse_change()")
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {action} on {table} refused'); END"
                )


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION ledger_refuse_change()")
    else:
        for table in APPEND_ONLY:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
