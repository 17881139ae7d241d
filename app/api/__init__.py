"""The JSON API under /api/v1. Each area adds its endpoints in its own api.py."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import errors, openapi  # noqa: E402,F401
from app.checkin import api as checkin_api  # noqa: E402,F401
from app.curricula import api as curricula_api  # noqa: E402,F401
from app.people import api as people_api  # noqa: E402,F401
from app.people import registrations_api  # noqa: E402,F401
from app.scheduling import api as scheduling_api  # noqa: E402,F401
