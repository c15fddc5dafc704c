"""Roles taken from the seeds; staff see every tenant, tenant roles only their own."""

from __future__ import annotations

from enum import StrEnum

from ordertrack.i18n import N_, _


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
        """The role's name as people read it, in the current language."""
        return _(_LABELS[self])


_LABELS = {
    Role.CUSTOMER: N_("Customer"),
    Role.RESELLER: N_("Reseller"),
    Role.SUPPORT: N_("Support"),
    Role.OPERATOR: N_("Operator"),
    Role.INSTALLER: N_("Installer"),
    Role.TECH_SUPPORT: N_("Tech support"),
    Role.MODERATOR: N_("Server moderator"),
    Role.MANAGER: N_("Manager"),
    Role.PARTNER: N_("Partner"),
    Role.ADMIN: N_("Administrator"),
    Role.SYSTEM: N_("System"),
}

STAFF_ROLES: frozenset[Role] = frozenset(
    {Role.SUPPORT, Role.OPERATOR, Role.INSTALLER, Role.TECH_SUPPORT, Role.MODERATOR, Role.MANAGER, Role.ADMIN}
)
TENANT_ROLES: frozenset[Role] = frozenset({Role.CUSTOMER, Role.RESELLER, Role.PARTNER})
