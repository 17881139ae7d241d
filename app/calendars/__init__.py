from flask import Blueprint

bp = Blueprint("calendars", __name__)

# Importing the area attaches its views to bp (and its API to app.api.bp) and connects its
# receivers: create_app imports each area and registers its blueprint, nothing more.
from app.calendars import jobs, models, routes  # noqa: E402, F401
