"""The pure attribution rule: which touch wins, and who counts as the curator themself."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from share.attribution import AttributionModel, BuyerSignals, Touchpoint, decide, judge_self_referral
from share.models import SelfReferral

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


def touch(touch_id: int, shop_id: int, days_ago: float) -> Touchpoint:
    return Touchpoint(touch_id=touch_id, shop_id=shop_id, at=NOW - timedelta(days=days_ago), kind="click")


def test_decide_last_click_wins() -> None:
    decision = decide([touch(1, 10, 5), touch(2, 20, 1)], now=NOW, window=WINDOW, model=AttributionModel.LAST_CLICK)
    assert decision.winner is not None and decision.winner.shop_id == 20


def test_decide_first_click_wins_under_the_first_click_model() -> None:
    decision = decide([touch(1, 10, 5), touch(2, 20, 1)], now=NOW, window=WINDOW, model=AttributionModel.FIRST_CLICK)
    assert decision.winner is not None and decision.winner.shop_id == 10


def test_decide_ignores_touches_outside_the_window() -> None:
    decision = decide([touch(1, 10, 31), touch(2, 20, 30.5)], now=NOW, window=WINDOW, model=AttributionModel.LAST_CLICK)
    assert decision.winner is None and decision.considered == 0


def test_decide_first_click_skips_an_expired_first_touch() -> None:
    decision = decide([touch(1, 10, 40), touch(2, 20, 3)], now=NOW, window=WINDOW, model=AttributionModel.FIRST_CLICK)
    assert decision.winner is not None and decision.winner.shop_id == 20


def test_decide_breaks_a_tie_on_time_by_touch_id() -> None:
    decision = decide([touch(7, 10, 1), touch(8, 20, 1)], now=NOW, window=WINDOW, model=AttributionModel.LAST_CLICK)
    assert decision.winner is not None and decision.winner.touch_id == 8


def test_judge_self_referral_by_account_is_self_referred() -> None:
    verdict = judge_self_referral(BuyerSignals(buyer_is_curator_account=True, email_matches_curator=True))
    assert verdict.status is SelfReferral.SELF


def test_judge_self_referral_weak_signals_go_to_review_with_reasons() -> None:
    verdict = judge_self_referral(BuyerSignals(buyer_is_curator_account=False, visitor_is_curators=True, address_matches_curator=True))
    assert verdict.status is SelfReferral.REVIEW
    assert verdict.reasons == ["the curator's own browser (visitor id)", "a shipping address the curator used"]


def test_judge_self_referral_a_friend_counts() -> None:
    assert judge_self_referral(BuyerSignals(buyer_is_curator_account=False)).status is SelfReferral.NONE
