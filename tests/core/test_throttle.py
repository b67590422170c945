"""Rate limits keep counting, in this process, when their shared storage does not answer."""
from __future__ import annotations

from typing import Any

import pytest

from limits import parse as parse_limit

from storefront import throttle


def test_with_redis_down_limits_fall_back_to_this_process(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> bool:
        raise ConnectionError("redis is down")

    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(throttle.limiter.limiter, "hit", refuse)
    with app.app_context():
        assert [throttle.allow("2 per minute", "fallback-test", "someone") for _ in range(3)] == [True, True, False]


def test_with_redis_down_log_in_still_answers(app: Any, browser: Any, create_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> bool:
        raise ConnectionError("redis is down")

    create_user(email="ana@example.com")
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(throttle.limiter.limiter, "hit", refuse)
    assert browser.log_in("ana@example.com").status_code == 302


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle.time, "monotonic", fake)
    return fake


def test_in_process_counts_refuse_once_the_limit_is_used_up(clock: Clock) -> None:
    counts = throttle.LocalMovingWindow()
    limit = parse_limit("2 per minute")
    assert [counts.hit(limit, "login", "ana") for _ in range(3)] == [True, True, False]
    assert counts.hit(limit, "login", "bia"), "each key counts alone"


def test_in_process_counts_use_a_moving_window(clock: Clock) -> None:
    counts = throttle.LocalMovingWindow()
    limit = parse_limit("2 per minute")
    counts.hit(limit, "login", "ana")
    clock.now += 30
    counts.hit(limit, "login", "ana")
    clock.now += 31  # the first hit has left the window, the second has not
    assert [counts.hit(limit, "login", "ana"), counts.hit(limit, "login", "ana")] == [True, False]


def test_in_process_counts_forget_idle_keys(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    counts = throttle.LocalMovingWindow()
    monkeypatch.setattr(counts, "SWEEP_EVERY", 3)
    limit = parse_limit("5 per minute")
    counts.hit(limit, "click", "old")
    clock.now += 61
    counts.hit(limit, "click", "new")
    counts.hit(limit, "click", "new")
    assert [name.split("/")[1] for name in counts._hits] == ["new"]


def test_without_redis_the_shared_storage_is_never_asked(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object) -> bool:
        raise AssertionError("the memory storage of `limits` starts timer threads; it must not be used")

    monkeypatch.setattr(throttle.limiter.limiter, "hit", fail)
    with app.app_context():
        assert throttle.allow("1 per minute", "storage-test", "someone")
