"""indexes on lower(e-mail address) of users, customers and resellers (the recipient's language of every mail)

Revision ID: b5e0c7a1d2f4
Revises: 693e6ad78ddb
Create Date: 2026-12-01 10:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b5e0c7a1d2f4'
down_revision: Union[str, Sequence[str], None] = '693e6ad78ddb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = (("ix_user_email_lower", "user", "email"),
           ("ix_customer_contact_email_lower", "customer", "contact_email"),
           ("ix_reseller_contact_email_lower", "reseller", "contact_email"))


def upgrade() -> None:
    """Upgrade schema."""
    for name, table, column in INDEXES:
        op.create_index(name, table, [sa.text(f"lower({column})")], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
