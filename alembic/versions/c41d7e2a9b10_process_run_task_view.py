"""Processes at run time: who closed a task (the operator's task view)

Revision ID: c41d7e2a9b10
Revises: 5a1e7c0d2b91
Create Date: 2026-12-01 06:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = 'c41d7e2a9b10'
down_revision: Union[str, Sequence[str], None] = '5a1e7c0d2b91'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('task_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('task_instance', schema=None) as batch_op:
        batch_op.drop_column('closed_by')
