"""Roles taken from the seeds; staff see every tenant, tenant roles only their own."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who a user is in the product."""

    CUSTOMER = "customer"
    RESELLER = "reseller"
    SUPPORT = "support"
    OPERATOR = "operator"
    INSTALLER = "installer"
    TECH_SUPPORT = "techsupport"
    MODERATOR = "moderator"
    MANAGER = "manager"
    PARTNER = "partner"
    ADMIN = "admin"
    SYSTEM = "system"

    @property
    def label(self) -> str:
        """The role's name as people read it."""
        return _LABELS[self]


_LABELS = {
    Role.CUSTOMER: "Customer",
    Role.RESELLER: "Reseller",
    Role.SUPPORT: "Support",
    Role.OPERATOR: "Operator",
    Role.INSTALLER: "Installer",
    Role.TECH_SUPPORT: "Tech support",
    Role.MODERATOR: "Server moderator",
    Role.MANAGER: "Manager",
    Role.PARTNER: "Partner",
    Role.ADMIN: "Administrator",
    Role.SYSTEM: "System",
}

STAFF_ROLES: frozenset[Role] = frozenset(
    {Role.SUPPORT, Role.OPERATOR, Role.INSTALLER, Role.TECH_SUPPORT, Role.MODERATOR, Role.MANAGER, Role.ADMIN}
)
TENANT_ROLES: frozenset[Role] = frozenset({Role.CUSTOMER, Role.RESELLER, Role.PARTNER})
