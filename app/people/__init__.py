from flask import Blueprint

bp = Blueprint("people", __name__)

from app.people import models, routes  # noqa: E402,F401
