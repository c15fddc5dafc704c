"""Persistence: SQLModel tables, column types and the engine/session factory.

Importing this package registers every table (migrations and tests see all of them).
"""

from ordertrack.db import (  # noqa: F401
    board_models,
    intake_models,
    message_models,
    models,
    notify_models,
    object_models,
    process_models,
    ratelimit_models,
    service_type_models,
    sla_models,
)
