"""The attribution rule, pure: which touch wins an order, and whether the buyer is the curator.

No database and no clock here: callers pass the touches and "now", tests pass plain values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from share.models import SelfReferral


class AttributionModel(StrEnum):
    LAST_CLICK = "last_click"
    FIRST_CLICK = "first_click"


@dataclass(frozen=True)
class Touchpoint:
    touch_id: int
    shop_id: int
    at: datetime
    kind: str
    click_id: int | None = None


@dataclass(frozen=True)
class Decision:
    winner: Touchpoint | None
    model: AttributionModel
    #: How many touches were inside the window (the others had expired).
    considered: int


def decide(touches: list[Touchpoint], *, now: datetime, window: timedelta, model: AttributionModel) -> Decision:
    """Last (or first) touch inside the window wins; a tie on time goes to the later (earlier) touch id."""
    eligible = [t for t in touches if now - window <= t.at <= now]
    if not eligible:
        return Decision(winner=None, model=model, considered=0)
    key = lambda t: (t.at, t.touch_id)  # noqa: E731
    winner = max(eligible, key=key) if model is AttributionModel.LAST_CLICK else min(eligible, key=key)
    return Decision(winner=winner, model=model, considered=len(eligible))


@dataclass(frozen=True)
class BuyerSignals:
    """What is known about the buyer, compared with the curator who would be credited."""

    buyer_is_curator_account: bool
    visitor_is_curators: bool = False
    email_matches_curator: bool = False
    address_matches_curator: bool = False


@dataclass(frozen=True)
class SelfReferralVerdict:
    status: SelfReferral
    reasons: list[str] = field(default_factory=list)


def judge_self_referral(signals: BuyerSignals) -> SelfReferralVerdict:
    """The curator's own account: self-referred. Weaker signs: review, never a silent drop."""
    if signals.buyer_is_curator_account:
        return SelfReferralVerdict(SelfReferral.SELF, ["bought by the curator's own account"])
    reasons = [
        reason
        for matched, reason in [
            (signals.visitor_is_curators, "the curator's own browser (visitor id)"),
            (signals.email_matches_curator, "the curator's e-mail"),
            (signals.address_matches_curator, "a shipping address the curator used"),
        ]
        if matched
    ]
    return SelfReferralVerdict(SelfReferral.REVIEW if reasons else SelfReferral.NONE, reasons)
