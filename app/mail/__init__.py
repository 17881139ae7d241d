from flask import Blueprint

bp = Blueprint("mail", __name__)

from app.mail import models  # noqa: E402, F401
