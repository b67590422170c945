"""users choose the language pages speak to them in

Revision ID: 0013
Revises: 0012
Created: 2026-11-30 06:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('browser_locale', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('browser_locale')
        batch_op.drop_column('locale')
