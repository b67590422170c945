"""One id per request: taken from X-Request-ID when it looks safe, else new; kept in `g`, echoed in the response.

The id ties a visitor's error page ("Reference: …"), an API problem's `request_id`, the
access log and every application log line of that request together.
"""
from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
#: What we accept from a proxy or a client: short, and nothing that could forge a log line or a header.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def init_app(app: Flask) -> None:
    # First of all before-request hooks, so that a rate limit or an early error already has its id.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)
    app.after_request(echo_request_id)
    app.add_template_global(current_request_id, "request_id")


def assign_request_id() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def current_request_id() -> str | None:
    """This request's id (assigned on first use if need be); None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        assign_request_id()
    return str(g.request_id)


def echo_request_id(response: Response) -> Response:
    response.headers[HEADER] = current_request_id() or ""
    return response
