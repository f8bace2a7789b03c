"""(to be built)"""
from flask import Blueprint

bp = Blueprint("booking", __name__)
