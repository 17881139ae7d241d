"""The partner organizations' pages: one partner's space (figures, sessions, staff, its sheet
and the sheet's actions) and the list of partners. Above sheets, because a partner's page
shows its sheet and the sheet's actions come back to the page; above reports, because it
shows its people's 活動記録 (app.reports.teaching)."""

from flask import Blueprint

bp = Blueprint("partners", __name__)

# Importing the area attaches its views to bp (and its API to app.api.bp) and connects its
# receivers: create_app imports each area and registers its blueprint, nothing more.
from app.partners import routes, sheet_routes  # noqa: E402, F401
