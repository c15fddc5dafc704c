"""status_change: owner and priority of each order version; an index for the board as of a moment

Revision ID: d8e1f3a5c7b9
Revises: c4b7e2a91d03
Create Date: 2026-12-01 06:15:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = 'd8e1f3a5c7b9'
down_revision: Union[str, Sequence[str], None] = 'c4b7e2a91d03'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.create_index('ix_status_change_asof', ['entity_kind', 'at', 'entity_id', 'from_version'],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_status_change_asof')
        batch_op.drop_column('priority')
        batch_op.drop_column('owner_id')
