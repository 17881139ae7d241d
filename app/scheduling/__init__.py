from flask import Blueprint

bp = Blueprint("scheduling", __name__)

from app.scheduling import routes  # noqa: E402,F401
