"""join service types and as-of indexes

Revision ID: 9c5e6c35d9bc
Revises: e5a7c3b9d1f2, e5a9c3b7d1f2
Create Date: 2026-12-01 10:58:52.847091

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '9c5e6c35d9bc'
down_revision: Union[str, Sequence[str], None] = ('e5a7c3b9d1f2', 'e5a9c3b7d1f2')
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
