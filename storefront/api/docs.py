"""The OpenAPI document as JSON, and a readable page of it rendered on the server (no CDN, no script)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template

from storefront.api import blueprint
from storefront.api.openapi import document

pages = Blueprint("api_docs", __name__)


def _document() -> dict[str, object]:
    return document(current_app.config["BASE_URL"] + blueprint.url_prefix, blueprint.url_prefix)


@blueprint.route("/openapi.json")
def openapi_json() -> Response:
    return Response(json.dumps(_document(), indent=1), mimetype="application/json")


@pages.route("/api/docs")
def api_docs() -> str:
    doc = _document()
    return render_template("api/docs.html", doc=doc, schemas=doc["components"]["schemas"],  # type: ignore[index]
                           pretty=lambda value: json.dumps(value, indent=2))
