"""Completions of courses and their certificates (修了証): a learner who has reached every skill
of a course, over one or more classes, has completed it; the certificate says so on paper and
suggests the next course."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

# Importing the area attaches its views to bp and connects its receivers.
from app.certificates import receivers, routes  # noqa: E402, F401
