"""known visitors per account: a browser can belong to several accounts

Revision ID: 0004
Revises: 0003
Created: 2026-11-29 00:20:00
"""
from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('known_visitors', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_known_visitors', type_='primary')
        batch_op.create_primary_key('pk_known_visitors', ['visitor_id', 'user_id'])


def downgrade() -> None:
    # Keep the latest account per browser, as before.
    op.execute(
        "DELETE FROM known_visitors WHERE EXISTS (SELECT 1 FROM known_visitors AS newer "
        "WHERE newer.visitor_id = known_visitors.visitor_id AND newer.last_seen_at > known_visitors.last_seen_at)"
    )
    with op.batch_alter_table('known_visitors', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_known_visitors', type_='primary')
        batch_op.create_primary_key('pk_known_visitors', ['visitor_id'])
