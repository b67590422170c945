"""The commission ledger's tables: rules, commissions, accounts, and the append-only transactions and transfers."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront import clock
from storefront.extensions import Base
from storefront.sqltypes import UTCDateTime


class RateScope(StrEnum):
    PRODUCT = "product"
    CATEGORY = "category"


class CommissionRate(Base):
    """An operator's rate for one product or one category; the platform default comes from configuration."""

    __tablename__ = "commission_rates"
    __table_args__ = (
        UniqueConstraint("scope", "target_id"),
        CheckConstraint("rate_bps >= 0 AND rate_bps <= 10000", name="rate_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int]
    rate_bps: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class CuratorTier(Base):
    """A bonus for curators whose attributed sales over the last 90 days reach a threshold."""

    __tablename__ = "curator_tiers"
    __table_args__ = (
        UniqueConstraint("currency", "min_sales_minor"),
        CheckConstraint("bonus_bps > 0 AND bonus_bps <= 5000", name="bonus_in_range"),
        CheckConstraint("min_sales_minor > 0", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3))
    min_sales_minor: Mapped[int] = mapped_column(BigInteger)
    bonus_bps: Mapped[int]


class CommissionStatus(StrEnum):
    PENDING = "pending"
    HELD = "held"
    AVAILABLE = "available"
    PAID = "paid"
    #: Refunds or a lost dispute took all of it back.
    REVERSED = "reversed"
    #: An operator refused it (fraud, self-purchase).
    REJECTED = "rejected"


class Commission(Base):
    """What one order line earns its curator. The rate is a snapshot taken when the order was paid."""

    __tablename__ = "commissions"
    __table_args__ = (Index("ix_commissions_status_matures_at", "status", "matures_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    curator_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    #: What the customer paid for the line, shipping excluded.
    base_minor: Mapped[int] = mapped_column(BigInteger)
    rate_bps: Mapped[int]
    #: Where the rate came from: "product", "category", "default", plus any tier bonus.
    rate_source: Mapped[str] = mapped_column(String(80))
    earned_minor: Mapped[int] = mapped_column(BigInteger)
    #: Running totals kept beside the ledger (which is the truth; `flask commissions check` compares).
    refunded_base_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(12), default=CommissionStatus.PENDING)
    #: The status a hold came from, to return to on release.
    held_from: Mapped[str | None] = mapped_column(String(12))
    #: The payout that paid it (set when the payout settles).
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    status_reason: Mapped[str] = mapped_column(String(255), default="")
    holds: Mapped[int] = mapped_column(default=0)
    matures_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    @property
    def net_minor(self) -> int:
        return self.earned_minor - self.reversed_minor

    @property
    def status_enum(self) -> CommissionStatus:
        return CommissionStatus(self.status)


class AccountKind(StrEnum):
    # A curator's, credit-normal: what the platform owes them, by stage.
    PENDING = "pending"
    HELD = "held"
    AVAILABLE = "available"
    IN_PAYOUT = "in_payout"
    PAID = "paid"
    # A curator's, debit-normal: what they owe back after a clawback.
    RECEIVABLE = "receivable"
    # The platform's.
    COMMISSION_EXPENSE = "commission_expense"
    PAYOUTS_CLEARING = "payouts_clearing"


CURATOR_ACCOUNTS = (
    AccountKind.PENDING, AccountKind.HELD, AccountKind.AVAILABLE, AccountKind.IN_PAYOUT, AccountKind.PAID, AccountKind.RECEIVABLE,
)
DEBIT_NORMAL = frozenset({AccountKind.RECEIVABLE, AccountKind.COMMISSION_EXPENSE})
#: Never below zero: a shortfall goes to the curator's receivable instead.
FLOORED = frozenset({AccountKind.PENDING, AccountKind.HELD, AccountKind.AVAILABLE, AccountKind.IN_PAYOUT})
PLATFORM_OWNER = "platform"


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("owner", "kind", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "user:<id>" for a curator's accounts, "platform" for the platform's.
    owner: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))


class LedgerTransaction(Base):
    """One business event's postings. Append-only: the database refuses UPDATE and DELETE."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Derived from the cause's own ids, so replaying the cause posts nothing twice.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    cause_type: Mapped[str] = mapped_column(String(20))
    cause_id: Mapped[int]
    #: A correction names the transaction it undoes (or part of).
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    memo: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

    transfers: Mapped[list[LedgerTransfer]] = relationship(back_populates="transaction", order_by="LedgerTransfer.id")


class LedgerTransfer(Base):
    """Amount moves from the debit account to the credit account: every transaction balances by construction."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    commission_id: Mapped[int | None] = mapped_column(ForeignKey("commissions.id"), index=True)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="transfers")
    debit_account: Mapped[LedgerAccount] = relationship(foreign_keys=[debit_account_id], lazy="joined")
    credit_account: Mapped[LedgerAccount] = relationship(foreign_keys=[credit_account_id], lazy="joined")


class PayoutMethod(StrEnum):
    #: A Stripe Transfer to the curator's connected account.
    STRIPE = "stripe"
    #: A line in a CSV file the operator pays by bank, PIX or Alipay, then marks paid.
    MANUAL = "manual"


class PayoutStatus(StrEnum):
    #: Money moved available → in_payout; the transfer is not confirmed yet.
    RESERVED = "reserved"
    #: The transfer exists at the provider (or the manual file was handed over): in_payout → paid.
    SETTLED = "settled"
    #: Nothing was paid: in_payout → available again.
    VOIDED = "voided"
    #: Paid, then taken back by the provider (transfer reversed): paid → available.
    RETURNED = "returned"


class PayoutRun(Base):
    __tablename__ = "payout_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    started_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

    payouts: Mapped[list[Payout]] = relationship(back_populates="run", order_by="Payout.id")


class Payout(Base):
    """One curator's payout: reserved in one committed transaction, then settled or voided."""

    __tablename__ = "payouts"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id"), index=True)
    curator_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    #: The curator's debt (receivable) netted from their available balance before this payout.
    netted_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(10), default=PayoutStatus.RESERVED, index=True)
    #: The provider's transfer id, or the manual file's line reference.
    provider_reference: Mapped[str | None] = mapped_column(String(255), index=True)
    destination: Mapped[str] = mapped_column(String(255), default="")
    failure_reason: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    run: Mapped[PayoutRun] = relationship(back_populates="payouts")

    @property
    def status_enum(self) -> PayoutStatus:
        return PayoutStatus(self.status)

    @property
    def reference(self) -> str:
        """Ours, on the bank file and in the provider's metadata."""
        return f"VTP-{self.id:08d}"
