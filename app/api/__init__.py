"""The JSON API under /api/v1. Each area adds its endpoints in its own api module."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
