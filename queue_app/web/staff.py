"""(to be built)"""
from flask import Blueprint

bp = Blueprint("staff", __name__)
