from flask import Blueprint

bp = Blueprint("people", __name__)

# Importing the area attaches its views to bp (and its API to app.api.bp) and connects its
# receivers: create_app imports each area and registers its blueprint, nothing more.
from app.people import (  # noqa: E402, F401
    api,
    card_routes,
    confirmation_api,
    confirmation_jobs,
    confirmation_routes,
    match_routes,
    models,
    receivers,
    registration_routes,
    registrations_api,
    routes,
)
