"""board snapshots: each order at the start of each UTC day, for time travel

Revision ID: 387ab56edd96
Revises: b668cc743567
Create Date: 2026-12-01 13:22:54.389944

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '387ab56edd96'
down_revision: Union[str, Sequence[str], None] = 'b668cc743567'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: the tables start empty; the sweep backfills the last 90 days from history
    (and time travel writes a missing day on demand)."""
    op.create_table('board_snapshot',
    sa.Column('day', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('order_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('recorded', sa.Boolean(), nullable=False),
    sa.Column('phase_since', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', 'order_id'),
    sqlite_with_rowid=False
    )
    op.create_index('ix_board_snapshot_window', 'board_snapshot', ['day', 'phase', 'phase_since', 'order_id'],
                    unique=False)
    op.create_table('board_snapshot_day',
    sa.Column('day', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('built_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('board_snapshot_day')
    op.drop_index('ix_board_snapshot_window', table_name='board_snapshot')
    op.drop_table('board_snapshot')
