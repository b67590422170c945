"""payment events can be queued on arrival and applied by a worker

Revision ID: 0014
Revises: 0013
Created: 2026-12-06 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.sqltypes import UTCDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applied_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('retry_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('order_number', sa.String(length=20), nullable=True))
    # Every event so far was applied as it arrived.
    op.execute('UPDATE webhook_events SET applied_at = received_at')
    # And so is every event the release's older code stores while this one starts: only the new code queues (it writes
    # NULL); SQLite adds no column with this default, so it is set apart (on SQLite, by copying the table).
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.alter_column('applied_at', existing_type=UTCDateTime(timezone=True), existing_nullable=True,
                              server_default=sa.text('CURRENT_TIMESTAMP'))
    op.create_index('ix_webhook_events_queued', 'webhook_events', ['id'], unique=False,
                    postgresql_where=sa.text('applied_at IS NULL'), sqlite_where=sa.text('applied_at IS NULL'))
    op.create_index('ix_webhook_events_queued_order_number', 'webhook_events', ['order_number'], unique=False,
                    postgresql_where=sa.text('applied_at IS NULL'), sqlite_where=sa.text('applied_at IS NULL'))


def downgrade() -> None:
    from alembic import context

    queued = 0 if context.is_offline_mode() else op.get_bind().scalar(
        sa.text('SELECT count(*) FROM webhook_events WHERE applied_at IS NULL'))
    if queued:
        # Without the column they would look applied, and their redeliveries would be ignored as duplicates.
        raise RuntimeError(f'{queued} payment event(s) are still queued: stop the app, then run `flask payments work '
                           f'--until-empty` and downgrade again')
    op.drop_index('ix_webhook_events_queued_order_number', table_name='webhook_events',
                  postgresql_where=sa.text('applied_at IS NULL'), sqlite_where=sa.text('applied_at IS NULL'))
    op.drop_index('ix_webhook_events_queued', table_name='webhook_events',
                  postgresql_where=sa.text('applied_at IS NULL'), sqlite_where=sa.text('applied_at IS NULL'))
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_column('order_number')
        batch_op.drop_column('retry_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('applied_at')
