from flask import Blueprint

bp = Blueprint("mail", __name__)

# Importing the area attaches its views to bp and registers its job handler ("mail_send"):
# create_app imports each area and registers its blueprint, nothing more.
from app.mail import models, routes, sending  # noqa: E402, F401
