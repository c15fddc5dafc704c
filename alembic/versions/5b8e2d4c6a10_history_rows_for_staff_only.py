"""history rows for staff only (internal comments leave nothing customer-visible)

Revision ID: 5b8e2d4c6a10
Revises: 7c3e5a1f9d20
Create Date: 2026-12-01 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b8e2d4c6a10"
down_revision: str | Sequence[str] | None = "7c3e5a1f9d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_change") as batch:
        batch.add_column(sa.Column("internal", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE status_change SET internal = true WHERE comment LIKE 'Internal comment added:%'")


def downgrade() -> None:
    with op.batch_alter_table("status_change") as batch:
        batch.drop_column("internal")
