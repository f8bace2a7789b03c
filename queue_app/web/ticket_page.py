"""(to be built)"""
from flask import Blueprint

bp = Blueprint("ticket_page", __name__)
