"""merge groups and history owner columns

Revision ID: 693e6ad78ddb
Revises: d7a3f1c2e5b8, d8e1f3a5c7b9, f1368b5eb63a
Create Date: 2026-12-01 06:49:12.845443

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '693e6ad78ddb'
down_revision: Union[str, Sequence[str], None] = ('d7a3f1c2e5b8', 'd8e1f3a5c7b9', 'f1368b5eb63a')
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
