"""Where log lines go: one handler on the root logger, plain text or one JSON object per line (LOG_FORMAT).

Every line carries the request id of the request it was written in ("-" outside one).
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from flask import Flask
from flask.logging import default_handler

from storefront.requestid import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
#: Our own loggers speak from INFO ("who changed what"); libraries keep Python's default, WARNING.
OWN_LOGGERS = ("storefront", "share", "commissions", "vitrine")
NO_REQUEST = "-"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record: the current request's id, or "-" outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or NO_REQUEST
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and exception when any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it), or to a given stream."""

    def __init__(self, stream: TextIO | None = None) -> None:
        logging.Handler.__init__(self)
        self._fixed_stream = stream

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return self._fixed_stream or sys.stderr


def build_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    handler = StderrHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(app: Flask) -> None:
    """Route every logger through one root handler in the configured format; safe to call again."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, StderrHandler)]:
        root.removeHandler(handler)
    root.addHandler(build_handler(app.config["LOG_FORMAT"]))
    for name in OWN_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
    # Flask's own handler on the app's logger would print the app's lines a second time, unformatted.
    app.logger.removeHandler(default_handler)
