"""Who is asking: the principal and the tenancy rule (which customers it may see)."""

from __future__ import annotations

from dataclasses import dataclass

from ordertrack.domain.roles import STAFF_ROLES, Role


@dataclass(frozen=True, slots=True)
class Principal:
    """A logged-in user (or the system) as the services see it."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    reseller_id: int | None = None
    customer_id: int | None = None
    language: str | None = None  # saved preference ("en", "ru"); None: the browser's

    @property
    def is_staff(self) -> bool:
        """Staff and the system see every tenant."""
        return self.role in STAFF_ROLES or self.role is Role.SYSTEM

    @property
    def roles(self) -> frozenset[Role]:
        """The role set the engine checks transitions against."""
        return frozenset({self.role})

    def can_see(self, *, customer_id: int, reseller_id: int | None) -> bool:
        """Whether this principal may see data of the given customer.

        Args:
            customer_id: the customer the data belongs to.
            reseller_id: that customer's reseller, if any.
        """
        if self.is_staff:
            return True
        if self.role is Role.CUSTOMER:
            return self.customer_id is not None and self.customer_id == customer_id
        if self.role in (Role.RESELLER, Role.PARTNER):
            return self.reseller_id is not None and self.reseller_id == reseller_id
        return False


SYSTEM = Principal(user_id=None, username="system", display_name="System", role=Role.SYSTEM)
