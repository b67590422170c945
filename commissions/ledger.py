"""Double-entry postings: idempotent transactions of balanced transfers, balances as sums, floors under a lock.

Flush, never commit: the caller's one database transaction carries the money movement and
the business change that caused it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select
from sqlalchemy.orm import aliased

from commissions.models import (
    CURATOR_ACCOUNTS, DEBIT_NORMAL, FLOORED, PLATFORM_OWNER, AccountKind, LedgerAccount, LedgerTransaction, LedgerTransfer,
)
from storefront.extensions import db
from storefront.inserts import insert_once


class LedgerError(Exception):
    """A posting the ledger refuses: unbalanced, non-positive, or taking an account below its floor."""


def _owner(user_id: int | None) -> str:
    return PLATFORM_OWNER if user_id is None else f"user:{user_id}"


#: The platform's accounts in each currency.
PLATFORM_ACCOUNTS = (AccountKind.COMMISSION_EXPENSE, AccountKind.PAYOUTS_CLEARING)

#: (curator's user id, or None for the platform; kind) → account, in one currency.
AccountsByOwner = dict[tuple[int | None, AccountKind], LedgerAccount]


def _ensure_accounts(wanted: dict[int | None, Iterable[AccountKind]], currency: str) -> AccountsByOwner:
    """The accounts of each owner (None: the platform) in `currency`, read in one query; the missing ones are made first.

    A concurrent posting making the same account is ignored by the unique (owner, kind, currency).
    """
    owners = {_owner(user_id): user_id for user_id in wanted}

    def read() -> AccountsByOwner:
        return {
            (owners[found.owner], AccountKind(found.kind)): found
            for found in db.session.scalars(
                select(LedgerAccount).where(LedgerAccount.owner.in_(list(owners)), LedgerAccount.currency == currency)
            )
        }

    accounts = read()
    missing = [
        {"owner": _owner(user_id), "user_id": user_id, "kind": kind, "currency": currency}
        for user_id, kinds in wanted.items() for kind in kinds if (user_id, kind) not in accounts
    ]
    if missing:
        db.session.execute(insert_once(LedgerAccount, "owner", "kind", "currency"), missing)
        accounts = read()
    return accounts


def account(user_id: int | None, kind: AccountKind, currency: str) -> LedgerAccount:
    found = db.session.scalar(
        select(LedgerAccount).where(
            LedgerAccount.owner == _owner(user_id), LedgerAccount.kind == kind, LedgerAccount.currency == currency
        )
    )
    if found is None:
        return _ensure_accounts({user_id: [kind]}, currency)[(user_id, kind)]
    return found


def lock_curator(user_id: int, currency: str) -> AccountsByOwner:
    """Serialize postings for one curator: SELECT … FOR UPDATE on PostgreSQL (SQLite's BEGIN IMMEDIATE already holds the database).

    Returns the curator's and the platform's accounts in `currency` (made when missing), for postings to use without reading them again.
    """
    # The platform's accounts first, in every transaction: two curators' first postings then never wait on each other crosswise.
    accounts = _ensure_accounts({None: PLATFORM_ACCOUNTS, user_id: CURATOR_ACCOUNTS}, currency)
    list(db.session.scalars(
        select(LedgerAccount.id)
        .where(LedgerAccount.owner == _owner(user_id), LedgerAccount.currency == currency)
        .order_by(LedgerAccount.id)
        .with_for_update()
    ))
    return accounts


def balance(acct: LedgerAccount) -> int:
    """Credits minus debits for a credit-normal account, the opposite for a debit-normal one."""
    credits = db.session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount_minor), 0)).where(LedgerTransfer.credit_account_id == acct.id)
    )
    debits = db.session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount_minor), 0)).where(LedgerTransfer.debit_account_id == acct.id)
    )
    signed = int(credits) - int(debits)
    return -signed if acct.kind in DEBIT_NORMAL else signed


def balances_by_kind(*conditions: Any) -> dict[AccountKind, int]:
    """The summed balance of the accounts matching `conditions`, by kind, in one query (each read in its normal side)."""
    rows = db.session.execute(
        select(
            LedgerAccount.kind,
            func.coalesce(func.sum(case(
                (LedgerTransfer.credit_account_id == LedgerAccount.id, LedgerTransfer.amount_minor),
                else_=-LedgerTransfer.amount_minor,
            )), 0),
        )
        .join(LedgerTransfer, (LedgerTransfer.credit_account_id == LedgerAccount.id) | (LedgerTransfer.debit_account_id == LedgerAccount.id))
        .where(*conditions)
        .group_by(LedgerAccount.kind)
    ).all()
    return {AccountKind(kind): -int(signed) if kind in DEBIT_NORMAL else int(signed) for kind, signed in rows}


def curator_balances(user_id: int, currency: str) -> dict[AccountKind, int]:
    """Every account of a curator: kind → balance (zero when never used)."""
    found = balances_by_kind(LedgerAccount.owner == _owner(user_id), LedgerAccount.currency == currency)
    return {kind: found.get(kind, 0) for kind in CURATOR_ACCOUNTS}


@dataclass(frozen=True)
class Transfer:
    debit: LedgerAccount
    credit: LedgerAccount
    amount_minor: int
    commission_id: int | None = None


@dataclass(frozen=True)
class Posting:
    idempotency_key: str
    kind: str
    cause_type: str
    cause_id: int
    transfers: list[Transfer]
    memo: str = ""
    reverses_id: int | None = None


def find_transaction(idempotency_key: str) -> LedgerTransaction | None:
    return db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key))


def post(posting: Posting) -> tuple[LedgerTransaction, bool]:
    """Record the transaction once: (transaction, True) when posted now, (the earlier one, False) on a replay.

    Refuses an empty transaction, a non-positive amount, mixed currencies, and any floored
    account that would end below zero; the caller holds the curator's lock.
    """
    return post_many([posting])[0]


def post_many(postings: list[Posting]) -> list[tuple[LedgerTransaction, bool]]:
    """`post` for several postings in a few statements whatever their number, with the same result as posting them in turn.

    Each is checked as `post` checks it, its floors against the balances the postings before it
    leave; the transactions are written with INSERT … ON CONFLICT DO NOTHING on the idempotency
    key (a replayed or concurrently posted key writes nothing and returns the earlier one), then
    the new ones' transfers in one INSERT. No savepoint: nothing here fails on a duplicate.
    """
    for posting in postings:
        _check_posting(posting)
    # A key given twice is posted by its first posting; the second is a replay of it.
    first: dict[str, Posting] = {}
    for posting in postings:
        first.setdefault(posting.idempotency_key, posting)
    fresh = list(first.values())
    earlier: dict[str, LedgerTransaction] = {}
    try:
        _check_floors([posting.transfers for posting in fresh])
    except LedgerError:
        # Replays are answered with their earlier transaction, whatever the balances now: check the others alone.
        earlier = _find_transactions(list(first))
        fresh = [posting for posting in fresh if posting.idempotency_key not in earlier]
        _check_floors([posting.transfers for posting in fresh])
    written = {
        record.idempotency_key: record
        for record in db.session.scalars(
            insert_once(LedgerTransaction, "idempotency_key").returning(LedgerTransaction),
            [{"idempotency_key": posting.idempotency_key, "kind": posting.kind, "cause_type": posting.cause_type,
              "cause_id": posting.cause_id, "memo": posting.memo[:255], "reverses_id": posting.reverses_id}
             for posting in fresh],
        )
    } if fresh else {}
    transfers = [
        {"transaction_id": written[posting.idempotency_key].id, "debit_account_id": transfer.debit.id,
         "credit_account_id": transfer.credit.id, "amount_minor": transfer.amount_minor, "currency": transfer.debit.currency,
         "commission_id": transfer.commission_id}
        for posting in fresh if posting.idempotency_key in written for transfer in posting.transfers
    ]
    if transfers:
        # Core, not the ORM's bulk insert: nothing reads these rows back in this transaction (see `balance`). One row
        # (an order's usual posting) goes as a plain execute: an executemany of one costs a pipeline round on psycopg.
        db.session.execute(insert(LedgerTransfer.__table__), transfers if len(transfers) > 1 else transfers[0])
    missing = [key for key in first if key not in written and key not in earlier]
    if missing:
        # Posted before, or by a concurrent request that committed first: read theirs back.
        earlier.update(_find_transactions(missing))
    return [
        (written[key], True) if key in written and first[key] is posting else (written.get(key) or earlier[key], False)
        for posting in postings for key in [posting.idempotency_key]
    ]


def _check_posting(posting: Posting) -> None:
    if not posting.transfers:
        raise LedgerError("a ledger transaction needs at least one transfer")
    currencies = {t.debit.currency for t in posting.transfers} | {t.credit.currency for t in posting.transfers}
    if len(currencies) != 1:
        raise LedgerError("all transfers of a transaction are in one currency")
    for transfer in posting.transfers:
        if not isinstance(transfer.amount_minor, int) or transfer.amount_minor <= 0:
            raise LedgerError(f"transfer amounts are positive whole minor units, got {transfer.amount_minor!r}")
        if transfer.debit.id == transfer.credit.id:
            raise LedgerError("a transfer moves money between two different accounts")


def _find_transactions(keys: list[str]) -> dict[str, LedgerTransaction]:
    return {
        found.idempotency_key: found
        for found in db.session.scalars(select(LedgerTransaction).where(LedgerTransaction.idempotency_key.in_(keys)))
    }


def _check_floors(transfers_in_turn: list[list[Transfer]]) -> None:
    """Each group of transfers (one posting's), applied in turn, leaves every floored account at zero or above.

    Balances are read once, only for the accounts some posting takes money out of.
    """
    accounts = {}
    for transfers in transfers_in_turn:
        for transfer in transfers:
            if transfer.debit.kind in FLOORED:
                accounts[transfer.debit.id] = transfer.debit
    if not accounts:
        return
    balances = {account_id: balance(acct) for account_id, acct in accounts.items()}
    for transfers in transfers_in_turn:
        change: dict[int, int] = defaultdict(int)
        for transfer in transfers:
            for acct, sign in ((transfer.debit, -1), (transfer.credit, 1)):
                if acct.id in balances:
                    change[acct.id] += sign * transfer.amount_minor
        for account_id, delta in change.items():
            if delta < 0 and balances[account_id] + delta < 0:
                acct = accounts[account_id]
                raise LedgerError(f"{acct.owner} {acct.kind} would go below zero")
        for account_id, delta in change.items():
            balances[account_id] += delta


@dataclass(frozen=True)
class LedgerCheck:
    debits: int
    credits: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_ledger() -> LedgerCheck:
    """Recompute everything from the transfers: totals balance, floors hold, every commission's net and stage match."""
    problems = []
    debits = int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount_minor), 0)).where(LedgerTransfer.debit_account_id.is_not(None))
    ))
    credits = int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount_minor), 0)).where(LedgerTransfer.credit_account_id.is_not(None))
    ))
    if debits != credits:
        problems.append(f"total debits {debits} differ from total credits {credits}")
    net_by_currency: dict[str, int] = defaultdict(int)
    balances = _all_balances()
    for account_id, owner, kind, currency in db.session.execute(
        select(LedgerAccount.id, LedgerAccount.owner, LedgerAccount.kind, LedgerAccount.currency).order_by(LedgerAccount.id)
    ):
        value = balances.get(account_id, 0)
        net_by_currency[currency] += -value if kind in DEBIT_NORMAL else value
        if kind in FLOORED and value < 0:
            problems.append(f"{owner} {kind} {currency} is {value}, below zero")
        if kind == AccountKind.RECEIVABLE and value < 0:
            problems.append(f"{owner} receivable {currency} is {value}, below zero")
    problems += _check_commissions(balances)
    for currency, net in net_by_currency.items():
        if net != 0:
            problems.append(f"{currency}: credit-normal balances minus debit-normal balances is {net}, not zero")
    return LedgerCheck(debits=debits, credits=credits, problems=problems)


#: Where a commission's whole net amount must sit while it has this status (paid and beyond leave the stages).
_STAGE_OF_STATUS = {"pending": AccountKind.PENDING, "held": AccountKind.HELD, "available": AccountKind.AVAILABLE}
_STAGES = (AccountKind.PENDING, AccountKind.HELD, AccountKind.AVAILABLE)


def _all_balances() -> dict[int, int]:
    """Every account's balance read on its normal side (`balance` for all of them), in two grouped queries."""
    signed: dict[int, int] = defaultdict(int)
    for side, sign in ((LedgerTransfer.credit_account_id, 1), (LedgerTransfer.debit_account_id, -1)):
        for account_id, amount in db.session.execute(select(side, func.sum(LedgerTransfer.amount_minor)).group_by(side)):
            if account_id is not None:
                signed[account_id] += sign * int(amount)
    kinds = {account_id: kind for account_id, kind in db.session.execute(select(LedgerAccount.id, LedgerAccount.kind))}
    return {account_id: -value if kinds.get(account_id) in DEBIT_NORMAL else value for account_id, value in signed.items()}


def _commission_ledger_sums() -> Any:
    """Per commission, from its transfers: the platform's expense, and what sits in each stage (credits in, debits out)."""
    debit, credit = aliased(LedgerAccount), aliased(LedgerAccount)
    amount = LedgerTransfer.amount_minor

    def net_into(kind: AccountKind) -> Any:
        return func.sum(case((credit.kind == kind, amount), else_=0)) - func.sum(case((debit.kind == kind, amount), else_=0))

    return (
        select(
            LedgerTransfer.commission_id.label("commission_id"),
            (func.sum(case((debit.kind == AccountKind.COMMISSION_EXPENSE, amount), else_=0))
             - func.sum(case((credit.kind == AccountKind.COMMISSION_EXPENSE, amount), else_=0))).label("expense"),
            *(net_into(kind).label(kind.value) for kind in _STAGES),
        )
        .join(debit, debit.id == LedgerTransfer.debit_account_id)
        .join(credit, credit.id == LedgerTransfer.credit_account_id)
        .where(LedgerTransfer.commission_id.is_not(None))
        .group_by(LedgerTransfer.commission_id)
        .subquery()
    )


def _check_commissions(balances: dict[int, int]) -> list[str]:
    """Each commission: the platform's expense for it equals its net, and its money sits in the stage its status names.

    Each curator: the pending and held balances equal the sums of their pending and held commissions.
    Summed by the database; only the commissions that may be wrong come back, and Python decides.
    """
    from commissions.models import Commission, CommissionStatus

    sums = _commission_ledger_sums()
    expense = func.coalesce(sums.c.expense, 0)
    staged = {kind: func.coalesce(sums.c[kind.value], 0) for kind in _STAGES}
    net = Commission.earned_minor - Commission.reversed_minor

    def stage_wrong(status: str, stage: AccountKind) -> Any:
        return and_(Commission.status == status, or_(*(staged[kind] != (net if kind is stage else 0) for kind in _STAGES)))

    suspects = db.session.execute(
        select(Commission.id, Commission.earned_minor, Commission.reversed_minor, Commission.status, expense, *staged.values())
        .outerjoin(sums, sums.c.commission_id == Commission.id)
        .where(or_(expense != net, net < 0, net > Commission.earned_minor,
                   *(stage_wrong(status, stage) for status, stage in _STAGE_OF_STATUS.items())))
        .order_by(Commission.id)
    )
    problems = []
    for commission_id, earned, reversed_, status, spent, *in_stages in suspects:
        net_minor = earned - reversed_
        if spent != net_minor:
            problems.append(f"commission {commission_id}: ledger says {spent}, the commission says {net_minor}")
        if not 0 <= net_minor <= earned:
            problems.append(f"commission {commission_id}: net {net_minor} outside 0..{earned}")
        stage = _STAGE_OF_STATUS.get(status)
        if stage is not None:
            for kind, amount in zip(_STAGES, in_stages, strict=True):
                want = net_minor if kind is stage else 0
                if amount != want:
                    problems.append(f"commission {commission_id} ({status}): {amount} in {kind.value}, expected {want}")
    expected_balance = {
        (f"user:{user_id}", currency, AccountKind(status)): int(total)
        for user_id, currency, status, total in db.session.execute(
            select(Commission.curator_user_id, Commission.currency, Commission.status, func.sum(net))
            .where(Commission.status.in_([CommissionStatus.PENDING, CommissionStatus.HELD]))
            .group_by(Commission.curator_user_id, Commission.currency, Commission.status)
        )
    }
    for account_id, owner, kind, currency in db.session.execute(
        select(LedgerAccount.id, LedgerAccount.owner, LedgerAccount.kind, LedgerAccount.currency)
        .where(LedgerAccount.kind.in_([AccountKind.PENDING, AccountKind.HELD])).order_by(LedgerAccount.id)
    ):
        want = expected_balance.get((owner, currency, AccountKind(kind)), 0)
        value = balances.get(account_id, 0)
        if value != want:
            problems.append(f"{owner} {kind} {currency} is {value}, its commissions add up to {want}")
    return problems
