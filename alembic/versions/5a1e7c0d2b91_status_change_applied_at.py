"""status_change.applied_at: when a timer's move was written (its ``at`` is the deadline)

Revision ID: 5a1e7c0d2b91
Revises: a7d3c9e1b2f4
Create Date: 2026-11-25 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types


revision: str = '5a1e7c0d2b91'
down_revision: Union[str, Sequence[str], None] = 'a7d3c9e1b2f4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applied_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_column('applied_at')
