"""The order state machine: every (from, to) pair is either allowed or refused without change."""
from __future__ import annotations

import itertools
from typing import Any

import pytest

from storefront.orders.models import Order, OrderStatus
from storefront.orders.states import ORDER_TRANSITIONS, transition_order
from storefront.states import InvalidTransition

S = OrderStatus
ALLOWED = {
    (S.PENDING, S.PAID), (S.PENDING, S.CANCELED), (S.PENDING, S.EXPIRED),
    (S.PAID, S.PARTIALLY_REFUNDED), (S.PAID, S.REFUNDED), (S.PARTIALLY_REFUNDED, S.REFUNDED),
}


def make_order(status: OrderStatus) -> Order:
    return Order(status=status, status_changes=[])


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_order_transition_allowed_moves_record_a_change(current: OrderStatus, target: OrderStatus) -> None:
    order = make_order(current)
    assert transition_order(order, target, actor="test") is True
    assert order.status == target
    assert [(c.from_status, c.to_status) for c in order.status_changes] == [(current.value, target.value)]


ILLEGAL = [(a, b) for a, b in itertools.product(S, S) if a != b and (a, b) not in ALLOWED]


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_order_transition_illegal_moves_raise_and_change_nothing(current: OrderStatus, target: OrderStatus) -> None:
    order = make_order(current)
    with pytest.raises(InvalidTransition):
        transition_order(order, target, actor="test")
    assert order.status == current
    assert order.status_changes == []


@pytest.mark.parametrize("status", list(S))
def test_order_transition_to_the_same_status_is_ignored(status: OrderStatus) -> None:
    order = make_order(status)
    assert transition_order(order, status, actor="test") is False
    assert order.status_changes == []


def test_order_transitions_table_names_every_status() -> None:
    assert set(ORDER_TRANSITIONS.allowed) == set(S)


def test_an_order_read_under_its_lock_is_read_again(place_order: Any, database: Any) -> None:
    from sqlalchemy import update

    from storefront.orders.services import find_order_by_number

    # given an order this session loaded, then changed by another transaction (here: behind the session's back)
    order = place_order()
    database.session.execute(
        update(Order).where(Order.id == order.id).values(status=OrderStatus.EXPIRED).execution_options(synchronize_session=False)
    )
    assert order.status == OrderStatus.PENDING
    # when it is read under its lock, then it holds what the row holds
    assert find_order_by_number(order.number, lock=True).status == OrderStatus.EXPIRED
