from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

# Importing the area attaches its views to bp (and its API to app.api.bp) and connects its
# receivers: create_app imports each area and registers its blueprint, nothing more.
from app.reports import (  # noqa: E402, F401
    api,
    export_routes,
    followup_routes,
    routes,
    summary_api,
    teaching_api,
    teaching_routes,
)
