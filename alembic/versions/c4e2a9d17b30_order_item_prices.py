"""order_item.price_cents and quantity: customers see their items with prices and the order value

Revision ID: c4e2a9d17b30
Revises: 5a1e7c0d2b91
Create Date: 2026-12-01 06:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'c4e2a9d17b30'
down_revision: Union[str, Sequence[str], None] = '5a1e7c0d2b91'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# domain.pricing.LIST_PRICES when this migration was written (existing items take their kind's price)
_PRICES = {"server": 24900, "hosting": 4900, "voice": 2900, "network": 9900, "security": 3900,
           "colocation": 19900, "license": 1500, "backup": 1900}


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('order_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_cents', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('quantity', sa.Integer(), nullable=False, server_default='1'))
    items = sa.table('order_item', sa.column('kind', sa.String), sa.column('price_cents', sa.Integer))
    for kind, cents in _PRICES.items():
        op.execute(items.update().where(items.c.kind == kind).values(price_cents=cents))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('order_item', schema=None) as batch_op:
        batch_op.drop_column('quantity')
        batch_op.drop_column('price_cents')
