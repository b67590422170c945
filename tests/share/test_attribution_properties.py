"""Properties of the pure attribution rule, over arbitrary touches: window, model, order, ties."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from share.attribution import AttributionModel, BuyerSignals, Touchpoint, decide, judge_self_referral
from share.models import SelfReferral

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)
SETTINGS = settings(derandomize=True, max_examples=200, deadline=None)

# Offsets from now in minutes, biased towards the edges: the window's start, now itself, the future.
EDGE_MINUTES = [0, 1, -1, 30 * 24 * 60, 30 * 24 * 60 - 1, 30 * 24 * 60 + 1, 60, 24 * 60]
minutes_ago = st.one_of(
    st.sampled_from(EDGE_MINUTES),
    st.integers(min_value=-3 * 24 * 60, max_value=45 * 24 * 60),
)
models = st.sampled_from(list(AttributionModel))


touch_fields = st.tuples(
    st.integers(min_value=1, max_value=10_000),  # touch id
    st.integers(min_value=1, max_value=4),  # shop id
    # Whole hours as well as minutes, so that ties on time are common.
    st.one_of(minutes_ago, st.integers(min_value=-72, max_value=800).map(lambda hours: hours * 60)),
    st.sampled_from(["click", "cart"]),
)


def as_touch(fields: tuple[int, int, int, str]) -> Touchpoint:
    touch_id, shop_id, offset, kind = fields
    return Touchpoint(
        touch_id=touch_id, shop_id=shop_id, at=NOW - timedelta(minutes=offset), kind=kind,
        click_id=touch_id if kind == "click" else None,
    )


def touch_lists(max_size: int = 12) -> st.SearchStrategy[list[Touchpoint]]:
    """Touches with unique ids (they are database ids), several shops, clicks and cart touches, ties on time."""
    return st.lists(touch_fields, max_size=max_size, unique_by=lambda fields: fields[0]).map(
        lambda many: [as_touch(fields) for fields in many]
    )


def inside_window(touch: Touchpoint) -> bool:
    return NOW - WINDOW <= touch.at <= NOW


@SETTINGS
@given(touches=touch_lists(), model=models)
def test_decide_winner_is_inside_the_window_and_not_in_the_future(touches: list[Touchpoint], model: AttributionModel) -> None:
    decision = decide(touches, now=NOW, window=WINDOW, model=model)
    if decision.winner is not None:
        assert decision.winner in touches
        assert NOW - WINDOW <= decision.winner.at <= NOW


@SETTINGS
@given(touches=touch_lists())
def test_decide_last_click_picks_a_latest_touch(touches: list[Touchpoint]) -> None:
    decision = decide(touches, now=NOW, window=WINDOW, model=AttributionModel.LAST_CLICK)
    eligible = [t for t in touches if inside_window(t)]
    if eligible:
        assert decision.winner is not None
        assert decision.winner.at == max(t.at for t in eligible)


@SETTINGS
@given(touches=touch_lists())
def test_decide_first_click_picks_an_earliest_touch(touches: list[Touchpoint]) -> None:
    decision = decide(touches, now=NOW, window=WINDOW, model=AttributionModel.FIRST_CLICK)
    eligible = [t for t in touches if inside_window(t)]
    if eligible:
        assert decision.winner is not None
        assert decision.winner.at == min(t.at for t in eligible)


@SETTINGS
@given(touches=touch_lists(), model=models, data=st.data())
def test_decide_does_not_depend_on_the_order_of_the_touches(
    touches: list[Touchpoint], model: AttributionModel, data: st.DataObject,
) -> None:
    shuffled = data.draw(st.permutations(touches))
    assert decide(shuffled, now=NOW, window=WINDOW, model=model) == decide(touches, now=NOW, window=WINDOW, model=model)


@SETTINGS
@given(
    expired=st.lists(st.integers(min_value=30 * 24 * 60 + 1, max_value=400 * 24 * 60), max_size=8),
    future=st.lists(st.integers(min_value=1, max_value=30 * 24 * 60), max_size=4),
    model=models,
)
def test_decide_no_touches_or_only_expired_ones_have_no_winner(
    expired: list[int], future: list[int], model: AttributionModel,
) -> None:
    touches = [Touchpoint(touch_id=i, shop_id=1, at=NOW - timedelta(minutes=m), kind="click") for i, m in enumerate(expired)]
    touches += [Touchpoint(touch_id=100 + i, shop_id=2, at=NOW + timedelta(minutes=m), kind="cart") for i, m in enumerate(future)]
    decision = decide(touches, now=NOW, window=WINDOW, model=model)
    assert decision.winner is None
    assert decision.considered == 0
    assert decision.model is model


@SETTINGS
@given(touches=touch_lists(), model=models)
def test_decide_considered_counts_exactly_the_touches_inside_the_window(
    touches: list[Touchpoint], model: AttributionModel,
) -> None:
    decision = decide(touches, now=NOW, window=WINDOW, model=model)
    assert decision.considered == sum(1 for t in touches if inside_window(t))
    assert (decision.winner is None) == (decision.considered == 0)


weak_signals = st.fixed_dictionaries({
    "visitor_is_curators": st.booleans(), "email_matches_curator": st.booleans(), "address_matches_curator": st.booleans(),
})


@SETTINGS
@given(weak=weak_signals)
def test_judge_self_referral_the_curators_account_is_always_self(weak: dict[str, bool]) -> None:
    verdict = judge_self_referral(BuyerSignals(buyer_is_curator_account=True, **weak))
    assert verdict.status is SelfReferral.SELF
    assert verdict.reasons


def test_judge_self_referral_no_signal_is_none() -> None:
    verdict = judge_self_referral(BuyerSignals(buyer_is_curator_account=False))
    assert verdict.status is SelfReferral.NONE
    assert verdict.reasons == []


#: The word in each weak signal's reason that names it.
REASON_WORDS = {"visitor_is_curators": "browser", "email_matches_curator": "e-mail", "address_matches_curator": "address"}


@SETTINGS
@given(weak=weak_signals.filter(lambda signals: any(signals.values())))
def test_judge_self_referral_weak_signals_give_review_with_one_reason_each(weak: dict[str, bool]) -> None:
    verdict = judge_self_referral(BuyerSignals(buyer_is_curator_account=False, **weak))
    assert verdict.status is SelfReferral.REVIEW
    assert len(verdict.reasons) == sum(weak.values())
    for signal, matched in weak.items():
        assert any(REASON_WORDS[signal] in reason for reason in verdict.reasons) == matched, (signal, verdict.reasons)
