"""share links clicks attribution

Revision ID: 0003
Revises: 0002
Created: 2026-11-22 04:57:57.236650
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storefront.sqltypes

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('known_visitors',
    sa.Column('visitor_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_seen_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_known_visitors_user_id_users')),
    sa.PrimaryKeyConstraint('visitor_id', name=op.f('pk_known_visitors'))
    )
    with op.batch_alter_table('known_visitors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_visitors_user_id'), ['user_id'], unique=False)

    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=10), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_share_links_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_links')),
    sa.UniqueConstraint('code', name=op.f('uq_share_links_code')),
    sa.UniqueConstraint('shop_id', 'target_type', 'target_id', 'channel', name=op.f('uq_share_links_shop_id_target_type_target_id_channel'))
    )
    op.create_table('clicks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('visitor_id', sa.String(length=32), nullable=False),
    sa.Column('referrer_host', sa.String(length=255), nullable=False),
    sa.Column('device_class', sa.String(length=10), nullable=False),
    sa.Column('ip_hash', sa.String(length=32), nullable=False),
    sa.Column('unique_visit', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_clicks_link_id_share_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clicks'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clicks_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_clicks_ip_hash'), ['ip_hash'], unique=False)
        batch_op.create_index('ix_clicks_link_id_created_at', ['link_id', 'created_at'], unique=False)
        batch_op.create_index('ix_clicks_visitor_id_link_id', ['visitor_id', 'link_id'], unique=False)

    op.create_table('attribution_touches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visitor_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('click_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['click_id'], ['clicks.id'], name=op.f('fk_attribution_touches_click_id_clicks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_attribution_touches_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attribution_touches_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attribution_touches'))
    )
    with op.batch_alter_table('attribution_touches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attribution_touches_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_attribution_touches_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attribution_touches_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attribution_touches_visitor_id'), ['visitor_id'], unique=False)

    op.create_table('order_attributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('touch_id', sa.Integer(), nullable=True),
    sa.Column('click_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=16), nullable=False),
    sa.Column('self_referral', sa.String(length=16), nullable=False),
    sa.Column('review_reasons', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.String(length=500), nullable=False),
    sa.Column('decided_at', storefront.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['click_id'], ['clicks.id'], name=op.f('fk_order_attributions_click_id_clicks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_attributions_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_attributions_shop_id_shops')),
    sa.ForeignKeyConstraint(['touch_id'], ['attribution_touches.id'], name=op.f('fk_order_attributions_touch_id_attribution_touches'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_attributions')),
    sa.UniqueConstraint('order_id', name=op.f('uq_order_attributions_order_id'))
    )
    with op.batch_alter_table('order_attributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_attributions_shop_id'), ['shop_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('order_attributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_attributions_shop_id'))

    op.drop_table('order_attributions')
    with op.batch_alter_table('attribution_touches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attribution_touches_visitor_id'))
        batch_op.drop_index(batch_op.f('ix_attribution_touches_user_id'))
        batch_op.drop_index(batch_op.f('ix_attribution_touches_shop_id'))
        batch_op.drop_index(batch_op.f('ix_attribution_touches_created_at'))

    op.drop_table('attribution_touches')
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_index('ix_clicks_visitor_id_link_id')
        batch_op.drop_index('ix_clicks_link_id_created_at')
        batch_op.drop_index(batch_op.f('ix_clicks_ip_hash'))
        batch_op.drop_index(batch_op.f('ix_clicks_created_at'))

    op.drop_table('clicks')
    op.drop_table('share_links')
    with op.batch_alter_table('known_visitors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_visitors_user_id'))

    op.drop_table('known_visitors')
