from flask import Blueprint

bp = Blueprint("curricula", __name__)

from app.curricula import routes  # noqa: E402,F401
