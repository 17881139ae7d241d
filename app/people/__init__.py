from flask import Blueprint

bp = Blueprint("people", __name__)

from app.people import card_routes, models, registration_routes, routes  # noqa: E402,F401
