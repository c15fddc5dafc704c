"""User groups as data (seed 05: tasks and process auto-assign name a person or a group):
a name and its staff members, kept by administrators and managers. Only a group's members,
the task's assignee or a manager may work a group's task; escalations tell the members."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ordertrack.db.models import User
from ordertrack.db.process_models import UserGroup, UserGroupMember
from ordertrack.domain.access import Principal
from ordertrack.domain.roles import STAFF_ROLES, Role
from ordertrack.i18n import _
from ordertrack.services.errors import BadInput, Forbidden, NotFound

KEEPERS = frozenset({Role.ADMIN, Role.MANAGER})
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})  # may work any group's task


@dataclass(frozen=True, slots=True)
class GroupView:
    id: int
    name: str
    members: tuple[tuple[int, str], ...]  # (user id, display name)


def _keeper(principal: Principal) -> None:
    if principal.role not in KEEPERS:
        raise Forbidden("Only administrators and managers keep user groups.")


def list_groups(session: Session) -> tuple[GroupView, ...]:
    """Every group with its members, by name."""
    rows = session.exec(select(UserGroup).order_by(UserGroup.name)).all()
    members = session.exec(select(UserGroupMember.group_id, User.id, User.display_name)
                           .join(User, User.id == UserGroupMember.user_id).order_by(User.display_name)).all()
    by_group: dict[int, list[tuple[int, str]]] = {}
    for gid, uid, name in members:
        by_group.setdefault(gid, []).append((uid, name))
    return tuple(GroupView(g.id, g.name, tuple(by_group.get(g.id, ()))) for g in rows)


def member_counts(session: Session) -> dict[str, int] | None:
    """Group name → number of members; None when no group is defined yet (groups named by
    tasks are then free text, as before groups were data)."""
    rows = session.exec(select(UserGroup.name, func.count(col(UserGroupMember.user_id)))
                        .join(UserGroupMember, UserGroupMember.group_id == UserGroup.id, isouter=True)
                        .group_by(UserGroup.name)).all()
    return {name: n for name, n in rows} if rows else None


def save_group(session: Session, *, principal: Principal, group_id: int | None, name: str,
               member_ids: list[int]) -> int:
    """Create or rename a group and set its members (staff users). The caller commits."""
    _keeper(principal)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise BadInput("A group needs a name (80 characters at most).")
    same = session.exec(select(UserGroup).where(func.lower(UserGroup.name) == name.lower())).first()
    if same is not None and same.id != group_id:
        raise BadInput(_("There is already a group “{name}”.").format(name=same.name))
    ids = sorted(set(member_ids))
    staff = {u.id for u in session.exec(select(User).where(col(User.id).in_(ids))).all()
             if Role(u.role) in STAFF_ROLES} if ids else set()
    if set(ids) - staff:
        raise BadInput("Only staff users can be members of a group.")
    if group_id:
        group = session.get(UserGroup, group_id)
        if group is None:
            raise NotFound("Group not found.")
        group.name = name
    else:
        group = UserGroup(name=name)
    session.add(group)
    session.flush()
    session.exec(delete(UserGroupMember).where(UserGroupMember.group_id == group.id))
    for uid in ids:
        session.add(UserGroupMember(group_id=group.id, user_id=uid))
    session.flush()
    return group.id


def delete_group(session: Session, *, principal: Principal, group_id: int) -> None:
    """Remove a group (tasks naming it then show up in validation)."""
    _keeper(principal)
    group = session.get(UserGroup, group_id)
    if group is None:
        raise NotFound("Group not found.")
    session.exec(delete(UserGroupMember).where(UserGroupMember.group_id == group.id))
    session.delete(group)
    session.flush()


def defined(session: Session, name: str) -> bool:
    return session.exec(select(UserGroup.id).where(UserGroup.name == name)).first() is not None


def is_member(session: Session, *, user_id: int | None, group: str) -> bool:
    if user_id is None:
        return False
    return session.exec(select(UserGroupMember.user_id).join(UserGroup, UserGroup.id == UserGroupMember.group_id)
                        .where(UserGroup.name == group, UserGroupMember.user_id == user_id)).first() is not None


def member_ids(session: Session, group: str) -> list[int]:
    return list(session.exec(select(UserGroupMember.user_id).join(UserGroup, UserGroup.id == UserGroupMember.group_id)
                             .where(UserGroup.name == group).order_by(UserGroupMember.user_id)).all())


def emails(session: Session, group: str) -> list[str]:
    """The members' addresses."""
    ids = member_ids(session, group)
    if not ids:
        return []
    return [u.email for u in session.exec(select(User).where(col(User.id).in_(ids))).all() if u.email]


def staff_choices(session: Session) -> tuple[tuple[int, str], ...]:
    """Every staff user (members and assignees to choose from)."""
    rows = session.exec(select(User).order_by(User.display_name)).all()
    return tuple((u.id, u.display_name) for u in rows if Role(u.role) in STAFF_ROLES)
