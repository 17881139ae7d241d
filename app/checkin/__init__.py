from flask import Blueprint

bp = Blueprint("checkin", __name__)

# Importing the area attaches its views to bp (and its API to app.api.bp) and connects its
# receivers: create_app imports each area and registers its blueprint, nothing more.
from app.checkin import (  # noqa: E402, F401
    api,
    models,
    paper_routes,
    receivers,
    roster_routes,
    routes,
    worker,
)
