"""Registry search (placeholder until the registry endpoints land)."""

from flask_smorest import Blueprint

blp = Blueprint("locations", __name__, url_prefix="/api/v1", description="The registry.")
