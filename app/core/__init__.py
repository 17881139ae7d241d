from flask import Blueprint

bp = Blueprint("core", __name__)

from app.core import errors, models, routes  # noqa: E402,F401
