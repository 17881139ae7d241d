"""The partner organizations' pages: one partner's space (figures, sessions, staff, its sheet
and the sheet's actions) and the list of partners. Above sheets, because a partner's page
shows its sheet and the sheet's actions come back to the page."""

from flask import Blueprint

bp = Blueprint("partners", __name__)
