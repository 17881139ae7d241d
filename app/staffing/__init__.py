"""Staffing: requests to partners, their offers, confirmations; availability; proposals.
Above calendars (an assignment's e-mail carries the class as an invitation) and below the
partners' pages, which show an organization's requests."""

from flask import Blueprint

bp = Blueprint("staffing", __name__)

# Importing the area attaches its views to bp (and its API to app.api.bp) and connects its
# receivers: create_app imports each area and registers its blueprint, nothing more.
from app.staffing import (  # noqa: E402, F401
    api,
    availability_api,
    availability_routes,
    jobs,
    models,
    proposal_api,
    proposal_routes,
    receivers,
    routes,
)
