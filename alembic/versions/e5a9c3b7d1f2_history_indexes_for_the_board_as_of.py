"""status_change: indexes for the board as of a moment (each changed order's version then, and
when it entered its phase then)

Revision ID: e5a9c3b7d1f2
Revises: 693e6ad78ddb
Create Date: 2026-12-01 10:55:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'e5a9c3b7d1f2'
down_revision: Union[str, Sequence[str], None] = '693e6ad78ddb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PHASE_ENTERED = "from_state IS NULL OR from_state <> to_state"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.create_index('ix_status_change_then', ['entity_kind', 'entity_id', 'at', 'from_version'],
                              unique=False)
        batch_op.create_index('ix_status_change_entered', ['entity_kind', 'entity_id', 'at', 'from_state', 'to_state'],
                              unique=False,
                              sqlite_where=sa.text(PHASE_ENTERED), postgresql_where=sa.text(PHASE_ENTERED))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_status_change_entered')
        batch_op.drop_index('ix_status_change_then')
