"""board_wip_limit: WIP limits per board column and scope (all staff, per reseller)

Revision ID: c4b7e2a91d03
Revises: 5a1e7c0d2b91
Create Date: 2026-12-01 05:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types


revision: str = 'c4b7e2a91d03'
down_revision: Union[str, Sequence[str], None] = '5a1e7c0d2b91'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'board_wip_limit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('reseller_id', sa.Integer(), nullable=True),
        sa.Column('column', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('max_cards', sa.Integer(), nullable=False),
        sa.Column('hard', sa.Boolean(), nullable=False),
        sa.Column('updated_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(['reseller_id'], ['reseller.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('scope_key', 'column', name='uq_board_wip_limit'),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('board_wip_limit')
