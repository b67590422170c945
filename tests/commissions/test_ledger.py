"""The ledger's own guarantees: balanced positive transfers, floors, idempotency, and rows that never change."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from commissions import ledger
from commissions.ledger import LedgerError, Posting, Transfer
from commissions.models import AccountKind, LedgerTransaction, LedgerTransfer


@pytest.fixture
def curator(create_user: Any, database: Any) -> int:
    user = create_user()
    ledger.lock_curator(user.id, "USD")
    return user.id


def accounts(user_id: int, currency: str = "USD") -> tuple[Any, Any, Any]:
    return (
        ledger.account(None, AccountKind.COMMISSION_EXPENSE, currency),
        ledger.account(user_id, AccountKind.PENDING, currency),
        ledger.account(user_id, AccountKind.AVAILABLE, currency),
    )


def earn(user_id: int, amount: int, key: str = "t:1") -> tuple[Any, bool]:
    expense, pending, _ = accounts(user_id)
    return ledger.post(Posting(key, "earn", "test", 1, [Transfer(expense, pending, amount)]))


def test_a_posting_moves_money_and_balances_are_sums(curator: int) -> None:
    earn(curator, 700)
    expense, pending, _ = accounts(curator)
    assert (ledger.balance(pending), ledger.balance(expense)) == (700, 700)
    check = ledger.check_ledger()
    assert (check.debits, check.credits) == (700, 700)
    # Money in a curator's stage with no commission behind it is what the check exists to find.
    assert check.problems == ["user:1 pending USD is 700, its commissions add up to 0".replace("user:1", f"user:{curator}")]


def test_replaying_a_key_posts_nothing_and_returns_the_first(curator: int, database: Any) -> None:
    first, posted = earn(curator, 700)
    again, posted_again = earn(curator, 999)
    assert (posted, posted_again, again.id) == (True, False, first.id)
    assert database.session.scalar(select(func.count()).select_from(LedgerTransfer)) == 1


@pytest.mark.parametrize("amount", [0, -5])
def test_a_transfer_must_be_positive(curator: int, amount: int) -> None:
    with pytest.raises(LedgerError, match="positive"):
        earn(curator, amount)


def test_a_transaction_needs_transfers(curator: int) -> None:
    with pytest.raises(LedgerError, match="at least one transfer"):
        ledger.post(Posting("t:empty", "earn", "test", 1, []))


def test_a_transaction_is_in_one_currency(curator: int) -> None:
    ledger.lock_curator(curator, "BRL")
    expense, pending, _ = accounts(curator)
    brl = ledger.account(curator, AccountKind.PENDING, "BRL")
    with pytest.raises(LedgerError, match="one currency"):
        ledger.post(Posting("t:mixed", "earn", "test", 1, [Transfer(expense, pending, 1), Transfer(expense, brl, 1)]))


def test_a_floored_account_never_goes_below_zero(curator: int, database: Any) -> None:
    earn(curator, 100)
    _, pending, available = accounts(curator)
    with pytest.raises(LedgerError, match="below zero"):
        ledger.post(Posting("t:too-much", "mature", "test", 1, [Transfer(pending, available, 101)]))
    assert database.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_transfers SET amount_minor = amount_minor + 1",
    "DELETE FROM ledger_transfers",
    "UPDATE ledger_transactions SET memo = 'edited'",
    "DELETE FROM ledger_transactions",
])
def test_the_database_refuses_to_change_ledger_rows(curator: int, database: Any, statement: str) -> None:
    earn(curator, 100)
    database.session.commit()
    with pytest.raises(DatabaseError, match="append-only"), database.session.begin_nested():
        database.session.execute(text(statement))
    assert database.session.scalar(select(func.sum(LedgerTransfer.amount_minor))) == 100


def test_the_check_finds_a_commission_that_disagrees_with_the_ledger(create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    from tests.commissions.conftest import commissions_of

    product = create_product(price_minor=10000)
    order = sell(create_shop(product), (product, 1))
    commission = commissions_of(order)[0]
    commission.reversed_minor = 1
    result = ledger.check_ledger()
    assert not result.ok and f"commission {commission.id}: ledger says 500" in result.problems[0]


def test_the_check_finds_money_in_the_wrong_stage(create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    from tests.commissions.conftest import commissions_of

    product = create_product(price_minor=10000)
    order = sell(create_shop(product), (product, 1))
    commission = commissions_of(order)[0]
    commission.status = "held"  # as a stale write would leave it, without moving its money
    problems = ledger.check_ledger().problems
    assert f"commission {commission.id} (held): 0 in held, expected 500" in problems
