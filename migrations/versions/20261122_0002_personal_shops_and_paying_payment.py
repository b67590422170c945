"""personal shops, looks, audit log; which payment paid an order

Revision ID: 0002
Revises: 0001
Created: 2026-11-22 04:43:39.664909
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.sqltypes

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_audit_entries_actor_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_user_id'), ['actor_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_entries_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('handle', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('bio', sa.String(length=280), nullable=False),
    sa.Column('accent_colour', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('published_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('suspended_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('suspension_reason', sa.String(length=500), nullable=False),
    sa.Column('avatar_webp', sa.LargeBinary(), nullable=True),
    sa.Column('avatar_version', sa.Integer(), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shops_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')),
    sa.UniqueConstraint('handle', name=op.f('uq_shops_handle')),
    sa.UniqueConstraint('user_id', name=op.f('uq_shops_user_id'))
    )
    op.create_table('looks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_looks_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_looks')),
    sa.UniqueConstraint('shop_id', 'slug', name=op.f('uq_looks_shop_id_slug'))
    )
    with op.batch_alter_table('looks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_looks_shop_id'), ['shop_id'], unique=False)

    op.create_table('shop_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_shop_items_product_id_products')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_items_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_items')),
    sa.UniqueConstraint('shop_id', 'product_id', name=op.f('uq_shop_items_shop_id_product_id'))
    )
    with op.batch_alter_table('shop_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_items_product_id'), ['product_id'], unique=False)

    op.create_table('look_items',
    sa.Column('look_id', sa.Integer(), nullable=False),
    sa.Column('shop_item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['look_id'], ['looks.id'], name=op.f('fk_look_items_look_id_looks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_item_id'], ['shop_items.id'], name=op.f('fk_look_items_shop_item_id_shop_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('look_id', 'shop_item_id', name=op.f('pk_look_items'))
    )
    with op.batch_alter_table('look_items', schema=None) as batch_op:
        batch_op.create_index('ix_look_items_shop_item_id', ['shop_item_id'], unique=False)

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shop_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_order_lines_shop_id'), ['shop_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_order_lines_shop_id_shops'), 'shops', ['shop_id'], ['id'])

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('succeeded_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paid_the_order', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('paid_the_order')
        batch_op.drop_column('succeeded_at')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_lines_shop_id_shops'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_order_lines_shop_id'))
        batch_op.drop_column('shop_id')

    with op.batch_alter_table('look_items', schema=None) as batch_op:
        batch_op.drop_index('ix_look_items_shop_item_id')

    op.drop_table('look_items')
    with op.batch_alter_table('shop_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_items_product_id'))

    op.drop_table('shop_items')
    with op.batch_alter_table('looks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_looks_shop_id'))

    op.drop_table('looks')
    op.drop_table('shops')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_subject')
        batch_op.drop_index(batch_op.f('ix_audit_entries_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_user_id'))

    op.drop_table('audit_entries')
