"""Reads of billing that more than one caller needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import timezone

from accounts.models import Account
from billing.models import (
    LedgerEntry,
    PayoutRequest,
    Referral,
    ReferralClick,
    ReferralEntry,
    ReferralProgram,
    Wallet,
)
from crm.models import Crm

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def money(value: Decimal | None) -> Decimal:
    """An aggregate as money: two places whatever the database sums to (SQLite
    drops trailing zeros), zero for no rows."""
    return (value or ZERO).quantize(CENT)


def crm_owned_get(*, account: Account, crm_id: int) -> Crm:
    """The CRM if this Account owns it; 404 for any other (no oracle)."""
    crm = Crm.objects.filter(pk=crm_id, owner=account).first()
    if crm is None:
        raise Http404("No CRM of this account has this id.")
    return crm


def wallet_for_crm(*, crm: Crm) -> Wallet:
    """The CRM's wallet, or an empty one (not saved) before its first entry."""
    wallet = Wallet.objects.filter(crm_id=crm.pk).first()
    if wallet is None:
        wallet = Wallet(
            crm_id=crm.pk, crm_name=crm.name, currency=settings.BILLING_DEFAULT_CURRENCY
        )
    return wallet


LEDGER_PAGE_SIZE = 50


def ledger_page(*, crm_id: int, page_number: str | int | None) -> Page:
    """One page of the CRM's ledger, newest first (a bad page number: the nearest
    page that exists)."""
    entries = LedgerEntry.objects.filter(crm_id=crm_id).order_by("-created_at", "-pk")
    return Paginator(entries, LEDGER_PAGE_SIZE).get_page(page_number)


def ledger_sum(*, crm_id: int) -> Decimal:
    """The balance as the ledger says it, entry by entry."""
    return money(
        LedgerEntry.objects.filter(crm_id=crm_id).aggregate(total=Sum("amount"))[
            "total"
        ]
    )


def wallets_out_of_balance() -> list[Wallet]:
    """Wallets whose balance or entry count is not what their ledger adds up to:
    there should never be any (every entry is written under the wallet's lock, in
    the transaction that updates it). One query."""
    entries = LedgerEntry.objects.filter(crm_id=OuterRef("crm_id")).values("crm_id")
    total = entries.annotate(total=Sum("amount")).values("total")
    count = entries.annotate(count=Count("pk")).values("count")
    zero = Value(ZERO, output_field=DecimalField(max_digits=14, decimal_places=2))
    return list(
        Wallet.objects.annotate(
            ledger_total=Coalesce(Subquery(total), zero),
            ledger_count=Coalesce(Subquery(count), Value(0)),
        )
        .exclude(balance=F("ledger_total"), entry_count=F("ledger_count"))
        .order_by("crm_id")
    )


def referral_program_for_account(*, account: Account) -> ReferralProgram | None:
    return ReferralProgram.objects.filter(account=account).first()


def referral_program_by_code(*, code: str) -> ReferralProgram | None:
    return ReferralProgram.objects.filter(code=code.lower()).first()


def email_masked(email: str) -> str:
    """``an***@ex***.com``: enough to recognise, not enough to contact."""
    local, _at, domain = email.rpartition("@")
    name, dot, tld = domain.rpartition(".")
    if not name:
        name, dot, tld = domain, "", ""
    return f"{local[:2]}***@{name[:2]}***{dot}{tld}"


@dataclass
class Totals:
    currency: str
    accrued: Decimal = ZERO
    paid: Decimal = ZERO
    pending: Decimal = ZERO
    available: Decimal = ZERO


def referral_totals(*, program: ReferralProgram) -> list[Totals]:
    """Per currency: rewards accrued (net of reversals), paid out, held by open
    requests, and available (the referral ledger's sum). The default currency is
    always there, first."""
    rows = (
        ReferralEntry.objects.filter(referrer=program)
        .values("currency")
        .annotate(
            available=Sum("amount"),
            accrued=Sum(
                "amount",
                filter=Q(
                    kind__in=[
                        ReferralEntry.Kind.REWARD,
                        ReferralEntry.Kind.REWARD_REVERSAL,
                    ]
                ),
            ),
        )
    )
    payouts = (
        PayoutRequest.objects.filter(referrer=program)
        .values("currency")
        .annotate(
            paid=Sum("amount", filter=Q(status=PayoutRequest.Status.PAID)),
            pending=Sum("amount", filter=Q(status=PayoutRequest.Status.REQUESTED)),
        )
    )
    default = settings.BILLING_DEFAULT_CURRENCY
    totals: dict[str, Totals] = {default: Totals(currency=default)}
    for row in rows:
        item = totals.setdefault(row["currency"], Totals(currency=row["currency"]))
        item.available = money(row["available"])
        item.accrued = money(row["accrued"])
    for row in payouts:
        item = totals.setdefault(row["currency"], Totals(currency=row["currency"]))
        item.paid = money(row["paid"])
        item.pending = money(row["pending"])
    return list(totals.values())


def referral_rows(*, program: ReferralProgram) -> list[dict]:
    """The referrer's sign-ups, newest first, with what they paid (net of refunds)
    and the rewards that produced (net of reversals). One query."""
    rows = (
        Referral.objects.filter(referrer=program)
        .order_by("-signed_up_at", "-pk")
        .annotate(
            payments=Sum("entries__payment_amount"),
            rewards=Sum("entries__amount"),
        )
        .values("pk", "email", "signed_up_at", "rewards_until", "payments", "rewards")
    )
    return [
        {
            **row,
            "email": email_masked(row["email"]),
            "payments": money(row["payments"]),
            "rewards": money(row["rewards"]),
        }
        for row in rows
    ]


def payouts_for_program(*, program: ReferralProgram) -> list[PayoutRequest]:
    return list(
        PayoutRequest.objects.filter(referrer=program).order_by("-created_at", "-pk")
    )


def _months_back(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _index in range(count):
        months.append(first)
        first = (first.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def referral_statistics(*, program: ReferralProgram, months: int = 12) -> dict:
    """Clicks, sign-ups, conversion, and net rewards per month (the last
    ``months``, this one included) in the default currency."""
    clicks = ReferralClick.objects.filter(referrer=program).count()
    signups = Referral.objects.filter(referrer=program).count()
    currency = settings.BILLING_DEFAULT_CURRENCY
    axis = _months_back(timezone.now().date(), months)
    by_month = dict(
        ReferralEntry.objects.filter(
            referrer=program,
            currency=currency,
            kind__in=[ReferralEntry.Kind.REWARD, ReferralEntry.Kind.REWARD_REVERSAL],
            created_at__date__gte=axis[0],
        )
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .values_list("month", "total")
    )
    normalized = {
        (key.date() if hasattr(key, "date") else key).replace(day=1): money(value)
        for key, value in by_month.items()
    }
    return {
        "clicks": clicks,
        "signups": signups,
        "conversion": (Decimal(signups * 100) / clicks).quantize(Decimal("0.1"))
        if clicks
        else None,
        "currency": currency,
        "months": [(month, normalized.get(month, ZERO)) for month in axis],
    }
