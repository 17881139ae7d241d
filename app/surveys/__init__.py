from flask import Blueprint

bp = Blueprint("surveys", __name__)

# Importing the area attaches its views to bp: create_app imports each area and registers
# its blueprint, nothing more.
from app.surveys import models, routes  # noqa: E402, F401
