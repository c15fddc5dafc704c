"""merge the board, order page, mail and process migrations

Revision ID: f1368b5eb63a
Revises: c41d7e2a9b10, c4b7e2a91d03, c4e2a9d17b30, c4e8a2f61d37
Create Date: 2026-12-01 05:51:46.335711

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = 'f1368b5eb63a'
down_revision: Union[str, Sequence[str], None] = ('c41d7e2a9b10', 'c4b7e2a91d03', 'c4e2a9d17b30', 'c4e8a2f61d37')
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
