"""(to be built)"""
from flask_smorest import Blueprint

blp = Blueprint("queue", __name__, url_prefix="/api/v1")
