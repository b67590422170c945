"""The versioned JSON API at /api/v1: the same domain services as the web pages, described by OpenAPI 3.1."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, request

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
CORS_HEADERS = "Authorization, Content-Type, X-CSRFToken, X-Order-Token"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"


@blueprint.after_request
def _cors(response: Response) -> Response:
    """CORS is off unless API_CORS_ORIGINS names the origin."""
    from flask import current_app

    origin = request.headers.get("Origin", "")
    allowed = {o.strip() for o in current_app.config["API_CORS_ORIGINS"].split(",") if o.strip()}
    if origin and origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
            response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    return response


def init_app(app: Flask) -> None:
    # Endpoint modules register their routes on the blueprint when imported.
    from storefront.api import admin, auth, buying, catalog, docs, earnings, settings, shop  # noqa: F401
    from storefront.extensions import csrf

    # Bearer-token requests need no CSRF token; cookie-signed ones are checked by the framework.
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint)
    app.register_blueprint(docs.pages)
