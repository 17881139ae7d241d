"""Who may reach which route.

Every view declares its roles with `roles(...)` (pages, login required) or `public` (no
login). A test walks the URL map and fails on any view without a declaration, so a new route
cannot be added without deciding who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from app.auth.models import Role
from app.extensions import login_manager

ALL_STAFF = (Role.ADMIN, Role.COORDINATOR, Role.INSTRUCTOR, Role.PARTNER)
PLANNERS = (Role.ADMIN, Role.COORDINATOR)
PUBLIC = "public"


def is_planner(user: Any) -> bool:
    """Whether a person plans the program (administrator or coordinator): what many pages
    show more of."""
    return getattr(user, "role", None) in PLANNERS


def allow(view: Callable[..., Any], allowed: frozenset[str]) -> None:
    """Write on a view who may use it, as its `allowed_roles` (which the tests of access read):
    an attribute of a function, which no type declares."""
    vars(view)["allowed_roles"] = allowed


def roles(*allowed: str) -> Callable:
    allowed_set = frozenset(allowed)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed_set:
                abort(403)
            return view(*args, **kwargs)

        allow(wrapper, allowed_set)
        return wrapper

    return decorate


def public(view: Callable) -> Callable:
    allow(view, frozenset({PUBLIC}))
    return view
