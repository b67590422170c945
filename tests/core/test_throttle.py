"""Rate limits keep counting, in this process, when their shared storage does not answer."""
from __future__ import annotations

from typing import Any

import pytest

from storefront import throttle


def test_with_redis_down_limits_fall_back_to_this_process(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> bool:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(throttle.limiter.limiter, "hit", refuse)
    with app.app_context():
        assert [throttle.allow("2 per minute", "fallback-test", "someone") for _ in range(3)] == [True, True, False]


def test_with_redis_down_log_in_still_answers(browser: Any, create_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> bool:
        raise ConnectionError("redis is down")

    create_user(email="ana@example.com")
    monkeypatch.setattr(throttle.limiter.limiter, "hit", refuse)
    assert browser.log_in("ana@example.com").status_code == 302
