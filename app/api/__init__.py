"""The JSON API under /api/v1. Each area adds its endpoints in its own api module."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The API's own views (its errors, its document); each area adds its endpoints from its
# own api module, imported by that area's package.
from app.api import errors, openapi  # noqa: E402, F401
