from flask import Blueprint

bp = Blueprint("sheets", __name__)

# Importing the area attaches its views to bp (and its API to app.api.bp) and connects its
# receivers: create_app imports each area and registers its blueprint, nothing more.
from app.sheets import file_routes, jobs, models  # noqa: E402, F401
