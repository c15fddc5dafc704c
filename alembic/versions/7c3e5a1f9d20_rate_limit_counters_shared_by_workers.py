"""rate limit counters shared by every worker (sign-in lockout, order-form drafts)

Revision ID: 7c3e5a1f9d20
Revises: 169ad0dd1f32
Create Date: 2026-11-25 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '7c3e5a1f9d20'
down_revision: Union[str, Sequence[str], None] = '169ad0dd1f32'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('rate_limit_counter',
    sa.Column('bucket', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('reset_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('bucket')
    )
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counter_reset_at'), ['reset_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('rate_limit_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counter_reset_at'))

    op.drop_table('rate_limit_counter')
