"""service_type: the service types orders are routed by, as rows (seeded with the built-in ones)

Revision ID: e5a7c3b9d1f2
Revises: 693e6ad78ddb
Create Date: 2026-12-01 10:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401
import ordertrack.db.types


revision: str = 'e5a7c3b9d1f2'
down_revision: Union[str, Sequence[str], None] = '693e6ad78ddb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The keys every existing order, SLA target and process already stores: unchanged.
SEED = (
    ("server", "Dedicated server", "Выделенный сервер"),
    ("hosting", "Virtual hosting", "Виртуальный хостинг"),
    ("voice", "SIP trunk / Cloud PBX", "SIP-транк / облачная АТС"),
    ("network", "Business fibre", "Оптика для бизнеса"),
    ("security", "Managed firewall", "Управляемый межсетевой экран"),
    ("colocation", "Colocation", "Колокация"),
    ("license", "Software licenses", "Лицензии на ПО"),
    ("backup", "Backup as a service", "Резервное копирование как услуга"),
)


def upgrade() -> None:
    """Upgrade schema."""
    table = op.create_table(
        'service_type',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('label_ru', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.Column('updated_at', ordertrack.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.bulk_insert(table, [{"key": key, "label": en, "label_ru": ru, "active": True, "sort_order": 10 * (i + 1),
                            "updated_by": ""} for i, (key, en, ru) in enumerate(SEED)])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('service_type')
