"""SLA: targets, policy, order clocks (partial index on due_at), pauses, warnings

Orders that exist before this migration get no SLA clock (a target applies to orders created
after it is set); new orders get theirs when they are created.

Revision ID: f9a045e483b9
Revises: 5b8e2d4c6a10
Create Date: 2026-11-25 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'f9a045e483b9'
down_revision: Union[str, Sequence[str], None] = '5b8e2d4c6a10'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('sla_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('target_hours', sa.Float(), nullable=False),
    sa.Column('updated_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('service_type', 'priority', name='uq_sla_target')
    )
    op.create_table('sla_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thresholds', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('pause_rules', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('order_sla',
    sa.Column('order_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('service_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('target_hours', sa.Float(), nullable=False),
    sa.Column('started_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('pause_reason', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('on_hold', sa.Boolean(), nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('stopped_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('elapsed_hours', sa.Float(), nullable=True),
    sa.Column('next_threshold', sa.Integer(), nullable=True),
    sa.Column('due_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('order_id')
    )
    with op.batch_alter_table('order_sla', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_sla_service_type'), ['service_type'], unique=False)
        batch_op.create_index('ix_order_sla_due_at', ['due_at'], unique=False,
                              sqlite_where=sa.text('due_at IS NOT NULL'),
                              postgresql_where=sa.text('due_at IS NOT NULL'))

    op.create_table('sla_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('started_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sla_pause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_pause_order_id'), ['order_id'], unique=False)

    op.create_table('sla_warning',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('crossed_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('fired_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'threshold', name='uq_sla_warning')
    )
    with op.batch_alter_table('sla_warning', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_warning_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('sla_warning', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_warning_order_id'))
    op.drop_table('sla_warning')
    with op.batch_alter_table('sla_pause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_pause_order_id'))
    op.drop_table('sla_pause')
    with op.batch_alter_table('order_sla', schema=None) as batch_op:
        batch_op.drop_index('ix_order_sla_due_at', sqlite_where=sa.text('due_at IS NOT NULL'),
                            postgresql_where=sa.text('due_at IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_order_sla_service_type'))
    op.drop_table('order_sla')
    op.drop_table('sla_policy')
    op.drop_table('sla_target')
