from flask import Blueprint

bp = Blueprint("checkin", __name__)

from app.checkin import models, routes  # noqa: E402,F401
