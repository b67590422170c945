"""analytics rollups (link hours, attributed sales), users' time zones, orders by payment time

Revision ID: 0008
Revises: 0007
Created: 2026-11-30 02:40:13.753292
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.sqltypes

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attributed_sales',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('paid_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sales_minor', sa.BigInteger(), nullable=False),
    sa.Column('refunded_minor', sa.BigInteger(), nullable=False),
    sa.Column('commission_minor', sa.BigInteger(), nullable=False),
    sa.Column('buyer_key', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_attributed_sales_link_id_share_links'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_attributed_sales_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_attributed_sales_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'shop_id', name=op.f('pk_attributed_sales'))
    )
    with op.batch_alter_table('attributed_sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attributed_sales_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attributed_sales_paid_at'), ['paid_at'], unique=False)
        batch_op.create_index('ix_attributed_sales_shop_id_paid_at', ['shop_id', 'paid_at'], unique=False)

    op.create_table('link_hours',
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('hour', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('visitors', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_link_hours_link_id_share_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('link_id', 'hour', name=op.f('pk_link_hours'))
    )
    with op.batch_alter_table('link_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_hours_hour'), ['hour'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_paid_at'), ['paid_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_paid_at'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')

    with op.batch_alter_table('link_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_hours_hour'))

    op.drop_table('link_hours')
    with op.batch_alter_table('attributed_sales', schema=None) as batch_op:
        batch_op.drop_index('ix_attributed_sales_shop_id_paid_at')
        batch_op.drop_index(batch_op.f('ix_attributed_sales_paid_at'))
        batch_op.drop_index(batch_op.f('ix_attributed_sales_link_id'))

    op.drop_table('attributed_sales')
