"""A CRM's ledger: payments and refunds from the provider, staff entries."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Account
from billing.models import LedgerEntry, Wallet
from billing.services.errors import BillingRefused
from billing.services.money import MAX_AMOUNT, money_clean
from billing.services.referrals import (
    referral_reward_for_top_up,
    referral_reward_reverse,
)
from crm.models import Crm


def _wallet_lock(*, crm_id: int, crm_name: str, currency: str | None = None) -> Wallet:
    """The CRM's wallet, locked until the transaction ends (made on first use)."""
    wallet, _created = Wallet.objects.select_for_update().get_or_create(
        crm_id=crm_id,
        defaults={
            "crm_name": crm_name,
            "currency": currency or settings.BILLING_DEFAULT_CURRENCY,
        },
    )
    return wallet


def _entry_write(
    *, wallet: Wallet, kind: str, amount: Decimal, **fields
) -> LedgerEntry:
    if abs(wallet.balance + amount) > MAX_AMOUNT:
        raise ValidationError(_("The balance would be larger than the ledger holds."))
    wallet.balance += amount
    wallet.entry_count += 1
    wallet.save(update_fields=["balance", "entry_count", "crm_name", "updated_at"])
    return LedgerEntry.objects.create(
        crm_id=wallet.crm_id,
        crm_name=wallet.crm_name,
        currency=wallet.currency,
        kind=kind,
        amount=amount,
        balance_after=wallet.balance,
        **fields,
    )


STAFF_KINDS = (
    LedgerEntry.Kind.CORRECTION,
    LedgerEntry.Kind.CHARGE,
    LedgerEntry.Kind.REFERRAL_BONUS,
)


def staff_entry_clean(
    *, kind: str, amount: Decimal, reason: str
) -> tuple[Decimal, str]:
    """The rules of an entry staff write, for the service and the admin's form."""
    amount = money_clean(amount)
    reason = (reason or "").strip()
    if kind not in STAFF_KINDS:
        raise ValidationError(
            {"kind": _("Payments and refunds come from the provider only.")}
        )
    if not amount:
        raise ValidationError({"amount": _("An entry of zero changes nothing.")})
    if not reason:
        raise ValidationError({"reason": _("Say why this entry is made.")})
    if kind == LedgerEntry.Kind.CHARGE and amount > 0:
        raise ValidationError({"amount": _("A charge takes money: make it negative.")})
    if kind == LedgerEntry.Kind.REFERRAL_BONUS and amount < 0:
        raise ValidationError({"amount": _("A bonus adds money: make it positive.")})
    return amount, reason


@transaction.atomic
def ledger_entry_add(
    *,
    crm: Crm,
    kind: str,
    amount: Decimal,
    reason: str,
    actor: Account | None,
) -> LedgerEntry:
    """An entry written by staff, always with its reason: a correction (either
    sign), a charge (negative) or a referral bonus (positive)."""
    amount, reason = staff_entry_clean(kind=kind, amount=amount, reason=reason)
    wallet = _wallet_lock(crm_id=crm.pk, crm_name=crm.name)
    wallet.crm_name = crm.name
    return _entry_write(
        wallet=wallet, kind=kind, amount=amount, reason=reason, created_by=actor
    )


def _same_payment(entry: LedgerEntry, **expected) -> bool:
    return all(getattr(entry, name) == value for name, value in expected.items())


@transaction.atomic
def payment_record(
    *, crm_id: int, payment_id: str, amount: Decimal, currency: str
) -> tuple[LedgerEntry, bool]:
    """A top-up the provider reports, once: the entry and whether it is new. The
    same payment reported again is the entry already written; the same id with other
    details is refused. A referrer's reward is written in the same transaction."""
    amount = money_clean(amount)
    if amount <= 0:
        raise BillingRefused(_("A payment must be positive."), code="invalid_amount")
    crm = Crm.objects.filter(pk=crm_id).values("name", "owner_id").first()
    if crm is None:
        raise BillingRefused(_("There is no CRM with this id."), code="unknown_crm")
    wallet = _wallet_lock(crm_id=crm_id, crm_name=crm["name"], currency=currency)
    existing = LedgerEntry.objects.filter(provider_payment_id=payment_id).first()
    if existing is not None:
        if _same_payment(
            existing,
            crm_id=crm_id,
            amount=amount,
            currency=currency,
            kind=LedgerEntry.Kind.TOP_UP,
        ):
            return existing, False
        raise BillingRefused(
            _("This payment id was already used for another payment."),
            code="payment_id_conflict",
        )
    if currency != wallet.currency:
        raise BillingRefused(
            _("This CRM is billed in %(currency)s.") % {"currency": wallet.currency},
            code="currency_mismatch",
        )
    wallet.crm_name = crm["name"]
    entry = _entry_write_once(
        wallet=wallet,
        kind=LedgerEntry.Kind.TOP_UP,
        amount=amount,
        provider_payment_id=payment_id,
    )
    referral_reward_for_top_up(entry=entry, owner_id=crm["owner_id"])
    return entry, True


def _entry_write_once(**kwargs) -> LedgerEntry:
    """Write the entry; a payment id taken meanwhile by another CRM's payment (whose
    wallet lock we do not hold) is refused, not a crash."""
    try:
        with transaction.atomic():
            return _entry_write(**kwargs)
    except IntegrityError as error:
        raise BillingRefused(
            _("This payment id was already used for another payment."),
            code="payment_id_conflict",
        ) from error


@transaction.atomic
def refund_record(
    *, refund_id: str, payment_id: str, amount: Decimal, currency: str
) -> tuple[LedgerEntry, bool]:
    """A refund of (part of) a top-up, once, with the reward it produced reversed
    in proportion. Refunds of a payment never add up to more than the payment. The
    CRM may be gone: its ledger is not."""
    amount = money_clean(amount)
    if amount <= 0:
        raise BillingRefused(
            _("Give the refunded amount as a positive number."), code="invalid_amount"
        )
    payment = (
        LedgerEntry.objects.filter(
            provider_payment_id=payment_id, kind=LedgerEntry.Kind.TOP_UP
        )
        .only("pk", "crm_id", "crm_name")
        .first()
    )
    if payment is None:
        raise BillingRefused(
            _("There is no payment with this id to refund."), code="unknown_payment"
        )
    wallet = _wallet_lock(crm_id=payment.crm_id, crm_name=payment.crm_name)
    payment = LedgerEntry.objects.get(pk=payment.pk)
    existing = LedgerEntry.objects.filter(provider_payment_id=refund_id).first()
    if existing is not None:
        if _same_payment(
            existing,
            refund_of_id=payment.pk,
            amount=-amount,
            currency=currency,
            kind=LedgerEntry.Kind.REFUND,
        ):
            return existing, False
        raise BillingRefused(
            _("This refund id was already used for another payment."),
            code="payment_id_conflict",
        )
    if currency != payment.currency:
        raise BillingRefused(
            _("The payment was made in %(currency)s.") % {"currency": payment.currency},
            code="currency_mismatch",
        )
    refunded = -sum(
        payment.refunds.values_list("amount", flat=True), start=Decimal("0")
    )
    if refunded + amount > payment.amount:
        raise BillingRefused(
            _("Refunds cannot add up to more than the payment."),
            code="refund_exceeds_payment",
        )
    entry = _entry_write_once(
        wallet=wallet,
        kind=LedgerEntry.Kind.REFUND,
        amount=-amount,
        provider_payment_id=refund_id,
        refund_of=payment,
    )
    referral_reward_reverse(refund=entry, payment=payment)
    return entry, True
