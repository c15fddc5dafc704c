"""The service types orders are routed by (rows an administrator edits): key, names, order.

The key is what orders, SLA targets and processes store; it never changes once created. A
new table starts with the built-in types (``SEED``), by the migration on a real database and
by ``after_create`` on a test database made with ``create_all``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, event, insert
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime

# key, English name, Russian name (the migration seeds the same rows)
SEED: tuple[tuple[str, str, str], ...] = (
    ("server", "Dedicated server", "Выделенный сервер"),
    ("hosting", "Virtual hosting", "Виртуальный хостинг"),
    ("voice", "SIP trunk / Cloud PBX", "SIP-транк / облачная АТС"),
    ("network", "Business fibre", "Оптика для бизнеса"),
    ("security", "Managed firewall", "Управляемый межсетевой экран"),
    ("colocation", "Colocation", "Колокация"),
    ("license", "Software licenses", "Лицензии на ПО"),
    ("backup", "Backup as a service", "Резервное копирование как услуга"),
)


class ServiceType(SQLModel, table=True):
    """One service type: ``label`` in English, ``label_ru`` in Russian ("" = the English one);
    an inactive type is no longer offered for new orders or routing, its orders go on."""

    __tablename__ = "service_type"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    label: str = Field(max_length=100)
    label_ru: str = Field(default="", max_length=100)
    active: bool = True
    sort_order: int = 0
    updated_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    updated_by: str = Field(default="", max_length=200)


def seed_rows() -> list[dict]:
    """The built-in service types as rows (sort order 10, 20, ...)."""
    return [{"key": key, "label": en, "label_ru": ru, "active": True, "sort_order": 10 * (i + 1), "updated_by": ""}
            for i, (key, en, ru) in enumerate(SEED)]


@event.listens_for(ServiceType.__table__, "after_create")
def _seed(table, connection, **_kw) -> None:
    connection.execute(insert(table), seed_rows())
