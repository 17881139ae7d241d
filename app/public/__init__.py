from flask import Blueprint

bp = Blueprint("public", __name__)

# Importing the area attaches its views to bp (and its API to app.api.bp) and connects its
# receivers: create_app imports each area and registers its blueprint, nothing more.
from app.public import achievement_routes, routes, survey_routes  # noqa: E402, F401
