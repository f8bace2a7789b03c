"""(to be built)"""
from flask import Blueprint

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static", static_url_path="/display/static")
