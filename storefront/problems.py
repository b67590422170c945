"""Errors as RFC 9457 problem details (application/problem+json): every error under /api answers this way."""
from __future__ import annotations

from typing import Any

from flask import Response, json, request

from storefront.requestid import current_request_id

API_PREFIX = "/api/"
PROBLEM_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    402: "Payment declined",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def wants_problem() -> bool:
    return request.path.startswith(API_PREFIX)


def problem_response(status: int, detail: str, *, errors: list[dict[str, str]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank", "title": PROBLEM_TITLES.get(status, "Error"), "status": status, "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    if (request_id := current_request_id()) is not None:
        body["request_id"] = request_id  # the same id as in our logs, for a support request
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
