"""languages: a user's preference, a client contact's and its reseller's default

Revision ID: a7d3c9e1b2f4
Revises: f9a045e483b9
Create Date: 2026-12-01 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7d3c9e1b2f4"
down_revision: str | Sequence[str] | None = "f9a045e483b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("reseller") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))


def downgrade() -> None:
    for table in ("reseller", "customer", "user"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("language")
