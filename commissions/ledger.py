"""Double-entry postings: idempotent transactions of balanced transfers, balances as sums, floors under a lock.

Flush, never commit: the caller's one database transaction carries the money movement and
the business change that caused it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from commissions.models import (
    CURATOR_ACCOUNTS, DEBIT_NORMAL, FLOORED, PLATFORM_OWNER, AccountKind, LedgerAccount, LedgerTransaction, LedgerTransfer,
)
from storefront.extensions import db


class LedgerError(Exception):
    """A posting the ledger refuses: unbalanced, non-positive, or taking an account below its floor."""


def _owner(user_id: int | None) -> str:
    return PLATFORM_OWNER if user_id is None else f"user:{user_id}"


def _ensure_accounts(user_id: int | None, kinds: Iterable[AccountKind], currency: str) -> None:
    owner = _owner(user_id)
    existing = set(db.session.scalars(
        select(LedgerAccount.kind).where(LedgerAccount.owner == owner, LedgerAccount.currency == currency)
    ))
    for kind in kinds:
        if kind in existing:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(LedgerAccount(owner=owner, user_id=user_id, kind=kind, currency=currency))
        except IntegrityError:
            pass  # made by a concurrent posting


def account(user_id: int | None, kind: AccountKind, currency: str) -> LedgerAccount:
    found = db.session.scalar(
        select(LedgerAccount).where(
            LedgerAccount.owner == _owner(user_id), LedgerAccount.kind == kind, LedgerAccount.currency == currency
        )
    )
    if found is None:
        _ensure_accounts(user_id, [kind], currency)
        return account(user_id, kind, currency)
    return found


def lock_curator(user_id: int, currency: str) -> None:
    """Serialize postings for one curator: SELECT … FOR UPDATE on PostgreSQL (SQLite's BEGIN IMMEDIATE already holds the database)."""
    _ensure_accounts(user_id, CURATOR_ACCOUNTS, currency)
    _ensure_accounts(None, [AccountKind.COMMISSION_EXPENSE, AccountKind.PAYOUTS_CLEARING], currency)
    list(db.session.scalars(
        select(LedgerAccount.id)
        .where(LedgerAccount.owner == _owner(user_id), LedgerAccount.currency == currency)
        .order_by(LedgerAccount.id)
        .with_for_update()
    ))


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


def curator_balances(user_id: int, currency: str) -> dict[AccountKind, int]:
    """Every account of a curator in one query: kind → balance (zero when never used)."""
    rows = db.session.execute(
        select(
            LedgerAccount.kind,
            func.coalesce(func.sum(case(
                (LedgerTransfer.credit_account_id == LedgerAccount.id, LedgerTransfer.amount_minor),
                else_=-LedgerTransfer.amount_minor,
            )), 0),
        )
        .join(LedgerTransfer, (LedgerTransfer.credit_account_id == LedgerAccount.id) | (LedgerTransfer.debit_account_id == LedgerAccount.id))
        .where(LedgerAccount.owner == _owner(user_id), LedgerAccount.currency == currency)
        .group_by(LedgerAccount.kind)
    ).all()
    balances = dict.fromkeys(CURATOR_ACCOUNTS, 0)
    for kind, signed in rows:
        balances[AccountKind(kind)] = -int(signed) if kind in DEBIT_NORMAL else int(signed)
    return balances


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
    earlier = find_transaction(posting.idempotency_key)
    if earlier is not None:
        return earlier, False
    _check_floors(posting.transfers)
    (currency,) = currencies
    record = LedgerTransaction(
        idempotency_key=posting.idempotency_key, kind=posting.kind, cause_type=posting.cause_type, cause_id=posting.cause_id,
        memo=posting.memo[:255], reverses_id=posting.reverses_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
            for transfer in posting.transfers:
                db.session.add(LedgerTransfer(
                    transaction_id=record.id, debit_account_id=transfer.debit.id, credit_account_id=transfer.credit.id,
                    amount_minor=transfer.amount_minor, currency=currency, commission_id=transfer.commission_id,
                ))
    except IntegrityError:
        # Insert-or-ignore: another request posted this cause first; read theirs back.
        earlier = find_transaction(posting.idempotency_key)
        if earlier is None:
            raise
        return earlier, False
    return record, True


def _check_floors(transfers: list[Transfer]) -> None:
    change: dict[int, int] = defaultdict(int)
    accounts = {}
    for transfer in transfers:
        for acct, sign in ((transfer.debit, -1), (transfer.credit, 1)):
            if acct.kind in FLOORED:
                change[acct.id] += sign * transfer.amount_minor
                accounts[acct.id] = acct
    for account_id, delta in change.items():
        if delta < 0 and balance(accounts[account_id]) + delta < 0:
            acct = accounts[account_id]
            raise LedgerError(f"{acct.owner} {acct.kind} would go below zero")


@dataclass(frozen=True)
class LedgerCheck:
    debits: int
    credits: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_ledger() -> LedgerCheck:
    """Recompute everything from the transfers: totals balance, floors hold, every commission's net matches."""
    from commissions.models import Commission

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
    for acct in db.session.scalars(select(LedgerAccount)):
        value = balance(acct)
        net_by_currency[acct.currency] += -value if acct.kind in DEBIT_NORMAL else value
        if acct.kind in FLOORED and value < 0:
            problems.append(f"{acct.owner} {acct.kind} {acct.currency} is {value}, below zero")
        if acct.kind == AccountKind.RECEIVABLE and value < 0:
            problems.append(f"{acct.owner} receivable {acct.currency} is {value}, below zero")
    curator_side = (
        select(
            LedgerTransfer.commission_id,
            func.sum(case((LedgerAccount.kind == AccountKind.COMMISSION_EXPENSE, LedgerTransfer.amount_minor), else_=0)),
        )
        .join(LedgerAccount, LedgerAccount.id == LedgerTransfer.debit_account_id)
        .where(LedgerTransfer.commission_id.is_not(None))
        .group_by(LedgerTransfer.commission_id)
    )
    expensed = {cid: int(amount) for cid, amount in db.session.execute(curator_side)}
    returned = dict(db.session.execute(
        select(LedgerTransfer.commission_id, func.sum(LedgerTransfer.amount_minor))
        .join(LedgerAccount, LedgerAccount.id == LedgerTransfer.credit_account_id)
        .where(LedgerTransfer.commission_id.is_not(None), LedgerAccount.kind == AccountKind.COMMISSION_EXPENSE)
        .group_by(LedgerTransfer.commission_id)
    ).all())
    for commission in db.session.scalars(select(Commission)):
        net = expensed.get(commission.id, 0) - int(returned.get(commission.id, 0))
        if net != commission.net_minor:
            problems.append(f"commission {commission.id}: ledger says {net}, the commission says {commission.net_minor}")
        if not 0 <= commission.net_minor <= commission.earned_minor:
            problems.append(f"commission {commission.id}: net {commission.net_minor} outside 0..{commission.earned_minor}")
    for currency, net in net_by_currency.items():
        if net != 0:
            problems.append(f"{currency}: credit-normal balances minus debit-normal balances is {net}, not zero")
    return LedgerCheck(debits=debits, credits=credits, problems=problems)
