"""Errors as RFC 9457 problem details (application/problem+json): every error under /api answers this way."""
from __future__ import annotations

from typing import Any

from flask import Response, json, request
from flask_babel import gettext as _, lazy_gettext as _l

from storefront.requestid import current_request_id

API_PREFIX = "/api/"
#: A problem's title, in the language the client asked for (Accept-Language) or the user chose.
PROBLEM_TITLES = {
    400: _l("Bad request"),
    401: _l("Authentication required"),
    402: _l("Payment declined"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Payload too large"),
    415: _l("Unsupported media type"),
    422: _l("Validation failed"),
    429: _l("Too many requests"),
    500: _l("Internal server error"),
    503: _l("Service unavailable"),
}


def wants_problem() -> bool:
    return request.path.startswith(API_PREFIX)


def problem_response(status: int, detail: str, *, errors: list[dict[str, str]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank", "title": str(PROBLEM_TITLES.get(status) or _("Error")), "status": status, "detail": str(detail),
    }
    if errors is not None:
        body["errors"] = errors
    if (request_id := current_request_id()) is not None:
        body["request_id"] = request_id  # the same id as in our logs, for a support request
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
