"""Harmony's three roles and what each may do.

Roles are Django groups (`admin` ⊇ `operator` ⊇ `viewer`), created with their permissions by
the data migration `0002_roles`. Superusers are admins. Code asks `has_role(user, "operator")`
or checks one of the `accounts.*` permissions below with `user.has_perm(...)`.
"""

from __future__ import annotations

from typing import Any, Literal

Role = Literal["admin", "operator", "viewer"]

ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")  # lowest first
RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}

# Custom permissions (codename, description) declared on `accounts.Access`.
PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view", "Read jobs, library, activity and status"),
    ("submit_jobs", "Submit wanted music (links, lists, searches)"),
    ("manage_jobs", "Cancel, retry, reprioritise and requeue jobs"),
    ("start_scans", "Start library scans"),
    ("mark_wrong_file", "Mark a library file as the wrong file"),
    ("manage_watchlists", "Create, change and sync watchlists"),
    ("purge_dlq", "Purge dead-lettered jobs"),
    ("manage_settings", "Change settings and provider credentials"),
    ("manage_keys", "Create and revoke API keys"),
    ("manage_users", "Create users, change roles, disable users"),
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "viewer": ("view",),
    "operator": (
        "view",
        "submit_jobs",
        "manage_jobs",
        "start_scans",
        "mark_wrong_file",
        "manage_watchlists",
    ),
    "admin": tuple(codename for codename, _ in PERMISSIONS),
}

_CACHE_ATTR = "_harmony_role"


def user_role(user: Any) -> Role | None:
    """The highest role of `user` (a Django user or an API-key principal), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    explicit = getattr(user, "role", None)  # API-key principals carry their role
    if explicit in RANK:
        return explicit
    if getattr(user, "is_superuser", False):
        return "admin"
    if not hasattr(user, _CACHE_ATTR):
        # One query per request object: the user instance lives for one request.
        names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        ranked = [role for role in ROLES if role in names]
        setattr(user, _CACHE_ATTR, ranked[-1] if ranked else None)
    return getattr(user, _CACHE_ATTR)


def has_role(user: Any, role: Role) -> bool:
    """True when `user` holds `role` or a higher one (admin ⊇ operator ⊇ viewer)."""
    current = user_role(user)
    return current is not None and RANK[current] >= RANK[role]
