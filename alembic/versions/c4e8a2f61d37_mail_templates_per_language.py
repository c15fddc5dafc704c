"""mail templates per language (Jinja2), the outbox message's language

Templates were one per event with ``${name}`` variables; now there is one per event and
language, written in Jinja2 (``{{ name }}``). Rows still holding the old built-in texts are
deleted (the new defaults are created on first use); edited ones are converted.

Revision ID: c4e8a2f61d37
Revises: 5a1e7c0d2b91
Create Date: 2026-12-01 06:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "c4e8a2f61d37"
down_revision: str | Sequence[str] | None = "5a1e7c0d2b91"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_DEFAULT_SUBJECTS = (
    "Order ${order_number} is now in ${phase} (${status})",
    "${process}: ${event} — ${subject_name}",
    "Order ${order_number} could not be provisioned: ${reason}",
    "Order ${order_number}: provisioning failure not yet resolved",
    "Order ${order_number}: provisioning problem resolved",
    "${headline}: order ${order_number} ${order_name}",
)
_VAR = re.compile(r"\$\{(\w+)\}")


def upgrade() -> None:
    with op.batch_alter_table("notification_template") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))
        batch.drop_index("ix_notification_template_event")
        batch.create_index("ix_notification_template_event", ["event"], unique=False)
        batch.create_unique_constraint("uq_notification_template_event_language", ["event", "language"])
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))
    bind = op.get_bind()
    table = sa.table("notification_template", sa.column("id", sa.Integer), sa.column("subject", sa.String),
                     sa.column("body", sa.Text))
    for row_id, subject, body in bind.execute(sa.select(table.c.id, table.c.subject, table.c.body)).all():
        if subject in OLD_DEFAULT_SUBJECTS:
            bind.execute(table.delete().where(table.c.id == row_id))
        else:
            bind.execute(table.update().where(table.c.id == row_id).values(
                subject=_VAR.sub(r"{{ \1 }}", subject), body=_VAR.sub(r"{{ \1 }}", body)))


def downgrade() -> None:
    op.execute("DELETE FROM notification_template WHERE language <> 'en'")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("notification_template") as batch:
        batch.drop_constraint("uq_notification_template_event_language", type_="unique")
        batch.drop_index("ix_notification_template_event")
        batch.create_index("ix_notification_template_event", ["event"], unique=True)
        batch.drop_column("language")
