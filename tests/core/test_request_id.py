"""Every request has an id: in the response header, on error pages, in API problems and in every log line."""
from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest

from storefront import logs
from storefront.requestid import current_request_id

GENERATED = r"[0-9a-f]{32}"


def test_every_response_carries_a_new_request_id(browser: Any) -> None:
    first, second = browser.get("/healthz"), browser.get("/healthz")
    assert re.fullmatch(GENERATED, first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_safe_incoming_request_id_is_kept(browser: Any) -> None:
    response = browser.get("/healthz", headers={"X-Request-ID": "edge-7f3a.b_9"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.b_9"


@pytest.mark.parametrize("unsafe", ["has spaces", "x" * 65, "<script>", "a;b=c", "é"])
def test_an_unsafe_incoming_request_id_is_replaced(browser: Any, unsafe: str) -> None:
    response = browser.get("/healthz", headers={"X-Request-ID": unsafe})
    assert re.fullmatch(GENERATED, response.headers["X-Request-ID"])


def test_the_404_page_shows_the_reference(browser: Any) -> None:
    response = browser.get("/no/such/page", headers={"X-Request-ID": "support-42"})
    assert response.status_code == 404
    assert "Reference: <code>support-42</code>" in response.get_data(as_text=True)


def test_an_api_problem_carries_the_request_id(browser: Any) -> None:
    response = browser.get("/api/v1/products/999999")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_log_lines_of_a_request_carry_its_id(app: Any, caplog: Any) -> None:
    with app.test_request_context(headers={"X-Request-ID": "trace-1"}), caplog.at_level(logging.INFO):
        app.preprocess_request()
        logging.getLogger("share.views").info("a click")
    [record] = [r for r in caplog.records if r.getMessage() == "a click"]
    assert record.request_id == "trace-1"


def test_log_lines_outside_a_request_carry_a_dash(caplog: Any) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("commissions.cli").info("matured 3")
    [record] = [r for r in caplog.records if r.getMessage() == "matured 3"]
    assert record.request_id == "-"


def test_the_text_format_shows_the_id(app: Any) -> None:
    stream = io.StringIO()
    logger = _logger_writing_to(logs.build_handler("text", stream))
    with app.test_request_context(headers={"X-Request-ID": "trace-2"}):
        logger.warning("over the limit")
    assert "WARNING tests.request_id [trace-2] over the limit" in stream.getvalue()


def test_the_json_format_writes_one_parseable_object_per_line(app: Any) -> None:
    stream = io.StringIO()
    logger = _logger_writing_to(logs.build_handler("json", stream))
    with app.test_request_context(headers={"X-Request-ID": "trace-3"}):
        logger.info("line one\nline two")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("it failed")
    logger.info("after the request")
    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(lines) == 3
    assert entries[0]["message"] == "line one\nline two" and entries[0]["request_id"] == "trace-3"
    assert set(entries[0]) == {"time", "level", "logger", "message", "request_id"}
    assert entries[0]["level"] == "INFO" and entries[0]["logger"] == "tests.request_id" and entries[0]["time"].endswith("+00:00")
    assert entries[1]["level"] == "ERROR" and "ValueError: boom" in entries[1]["exception"]
    assert entries[2]["request_id"] == "-"


def test_log_format_json_switches_the_root_handler(app: Any, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setitem(app.config, "LOG_FORMAT", "json")
    try:
        logs.configure_logging(app)
        with app.test_request_context(headers={"X-Request-ID": "trace-4"}):
            logging.getLogger("storefront.web").warning("database slow")
        [line] = [line for line in capsys.readouterr().err.splitlines() if "database slow" in line]
        assert json.loads(line)["request_id"] == "trace-4"
        assert sum(isinstance(handler, logs.StderrHandler) for handler in logging.getLogger().handlers) == 1
    finally:
        monkeypatch.setitem(app.config, "LOG_FORMAT", "text")
        logs.configure_logging(app)


def test_an_unknown_log_format_stops_the_start(monkeypatch: Any, tmp_path: Any) -> None:
    from storefront.config import load_config

    monkeypatch.setenv("LOG_FORMAT", "xml")
    monkeypatch.setenv("SECRET_KEY", "x")
    with pytest.raises(RuntimeError, match="LOG_FORMAT must be one of json, text"):
        load_config(tmp_path)


def test_outside_a_request_there_is_no_id() -> None:
    assert current_request_id() is None


def _logger_writing_to(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger("tests.request_id")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger
