"""Tables of the process designer and engine: drafts, activated versions, runs and tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ordertrack.db.types import UtcDateTime


def _ts(*, nullable: bool = False):
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable))


class Process(SQLModel, table=True):
    """A process as the designer edits it (``draft`` is the JSON definition)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    type: str = Field(default="Order", max_length=20)
    active: bool = False
    draft: str = Field(sa_column=Column(Text, nullable=False))
    current_version: int = 0
    updated_at: datetime = _ts()
    service_types: str = Field(default="", max_length=500)  # comma-separated, for order intake routing
    archived: bool = False  # out of the list and of every choice; running subjects go on


class ProcessVersion(SQLModel, table=True):
    """An activated, immutable definition: running subjects keep the version they started with."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version", name="uq_process_version"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: int = Field(foreign_key="process.id", index=True)
    version: int
    definition: str = Field(sa_column=Column(Text, nullable=False))
    activated_at: datetime = _ts()
    activated_by: str = Field(default="", max_length=200)


class ProcessRun(SQLModel, table=True):
    """One process running on an order, request or ticket."""

    __tablename__ = "process_run"
    __table_args__ = (Index("ix_process_run_entity", "entity_kind", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity_kind: str = Field(max_length=20)
    entity_id: int
    process_version_id: int = Field(foreign_key="process_version.id")
    phase_id: str = Field(default="", max_length=40)
    awaiting_route: bool = False
    status: str = Field(default="running", max_length=20)  # running | complete | switched | canceled
    started_at: datetime = _ts()
    version: int = 1


class TaskInstance(SQLModel, table=True):
    """A task of a running process; timed types and alarm hours are timers in the row."""

    __tablename__ = "task_instance"
    __table_args__ = (
        Index("ix_task_due_at", "due_at", sqlite_where=text("due_at IS NOT NULL"),
              postgresql_where=text("due_at IS NOT NULL")),
        Index("ix_task_alarm", "status", "alarm_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="process_run.id", index=True)
    task_id: str = Field(max_length=40)
    phase_id: str = Field(max_length=40)
    name: str = Field(max_length=200)
    type: str = Field(max_length=40)
    status: str = Field(default="open", max_length=20)
    step: str = Field(default="Not Started", max_length=40)
    assignee_user_id: int | None = Field(default=None, foreign_key="user.id")
    assignee_group: str = Field(default="", max_length=80)
    opened_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)
    closed_by: str | None = Field(default=None, max_length=200)  # who processed, skipped or canceled it
    due_kind: str | None = Field(default=None, max_length=20)
    due_at: datetime | None = _ts(nullable=True)
    alarm_at: datetime | None = _ts(nullable=True)
    escalated_at: datetime | None = _ts(nullable=True)
    version: int = 1


class UserGroup(SQLModel, table=True):
    """A user group tasks and process auto-assign name (seed 05: "Assigned to (Group)")."""

    __tablename__ = "user_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)


class UserGroupMember(SQLModel, table=True):
    """A staff user in a group."""

    __tablename__ = "user_group_member"

    group_id: int = Field(foreign_key="user_group.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
