"""join lower(email) indexes

Revision ID: b668cc743567
Revises: 9c5e6c35d9bc, b5e0c7a1d2f4
Create Date: 2026-12-01 11:24:13.039264

"""
from collections.abc import Sequence

import sqlmodel  # noqa: F401

import ordertrack.db.types  # noqa: F401

# revision identifiers, used by Alembic.
revision: str = 'b668cc743567'
down_revision: str | Sequence[str] | None = ('9c5e6c35d9bc', 'b5e0c7a1d2f4')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
