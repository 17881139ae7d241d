from flask import Blueprint

bp = Blueprint("curricula", __name__)
