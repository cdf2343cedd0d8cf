"""Money: each CRM's ledger and balance, and the referral program's own ledger.

Bookkeeping outlives the CRMs it is about: a CRM is named by its id and name as
plain values, never by a foreign key, so the purge (``crm.purge``) leaves these
rows alone by design (``crm.purge.PURGE_KEEPS``). Amounts are decimals with two
places; every row records a change, none is ever edited or deleted."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import CRM_NAME_MAX_LENGTH

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class Wallet(models.Model):
    """One CRM's balance: its currency, fixed at the first entry, and the running
    sum of its ledger, kept under this row's lock by every entry written. It is the
    row that serialises money changes of one CRM (``select_for_update``)."""

    crm_id = models.BigIntegerField(_("CRM id"), unique=True)
    crm_name = models.CharField(_("CRM name"), max_length=CRM_NAME_MAX_LENGTH)
    currency = models.CharField(_("currency"), max_length=3)
    balance = models.DecimalField(_("balance"), default=ZERO, **MONEY)
    # How many ledger entries the balance sums: reconciliation compares the two.
    entry_count = models.PositiveBigIntegerField(_("entries"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("balance")
        verbose_name_plural = _("balances")

    def __str__(self) -> str:
        return f"{self.crm_name} (#{self.crm_id}): {self.balance} {self.currency}"


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        CHARGE = "charge", _("Charge")
        REFERRAL_BONUS = "referral_bonus", _("Referral bonus")
        CORRECTION = "correction", _("Correction")
        REFUND = "refund", _("Refund")

    crm_id = models.BigIntegerField(_("CRM id"))
    crm_name = models.CharField(_("CRM name"), max_length=CRM_NAME_MAX_LENGTH)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    # The provider's id of the payment or refund: the same webhook twice is one row.
    provider_payment_id = models.CharField(
        _("provider payment id"), max_length=100, null=True, blank=True
    )
    refund_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("refund of"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["crm_id", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_payment_id"],
                condition=Q(provider_payment_id__isnull=False),
                name="ledger_provider_payment_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(amount=0), name="ledger_amount_not_zero"
            ),
            models.CheckConstraint(
                condition=~Q(kind="top_up") | Q(amount__gt=0),
                name="ledger_top_up_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="refund") | Q(amount__lt=0, refund_of__isnull=False),
                name="ledger_refund_negative_of_a_payment",
            ),
            models.CheckConstraint(
                condition=~Q(kind="correction") | ~Q(reason=""),
                name="ledger_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.crm_name}: {self.get_kind_display()} {self.amount} {self.currency}"
        )


class ReferralProgram(models.Model):
    """An Account's membership of the referral program: its link's code, and the
    row that serialises its money (rewards, payouts)."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referral_program",
        verbose_name=_("account"),
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    activated_at = models.DateTimeField(_("activated at"), default=timezone.now)

    class Meta:
        verbose_name = _("referrer")
        verbose_name_plural = _("referrers")

    def __str__(self) -> str:
        return f"{self.account} ({self.code})"


class ReferralClick(models.Model):
    referrer = models.ForeignKey(
        ReferralProgram,
        on_delete=models.PROTECT,
        related_name="clicks",
        verbose_name=_("referrer"),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("referral link visit")
        verbose_name_plural = _("referral link visits")
        indexes = [models.Index(fields=["referrer", "created_at"])]

    def __str__(self) -> str:
        return f"{self.referrer.code} at {self.created_at:%Y-%m-%d %H:%M}"


class Referral(models.Model):
    """An Account that signed up through a referrer's link. One per Account, for
    ever: the unique key refuses a second referrer."""

    referrer = models.ForeignKey(
        ReferralProgram,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("referrer"),
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referred_by",
        verbose_name=_("account"),
    )
    # As it was at sign-up: the referrer is only ever shown a masked form.
    email = models.EmailField(_("email"))
    click = models.ForeignKey(
        ReferralClick,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("first visit"),
    )
    signed_up_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    rewards_until = models.DateTimeField(_("rewards until"))

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["referrer", "signed_up_at"])]

    def __str__(self) -> str:
        return f"{self.email} via {self.referrer.code}"


class PayoutRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected")

    referrer = models.ForeignKey(
        ReferralProgram,
        on_delete=models.PROTECT,
        related_name="payouts",
        verbose_name=_("referrer"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    destination = models.CharField(_("payout destination"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("payout request")
        verbose_name_plural = _("payout requests")
        indexes = [models.Index(fields=["referrer", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payout_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} to {self.destination} ({self.status})"


class ReferralEntry(models.Model):
    """The referrer's own ledger: rewards and their reversals, and the amounts held
    by payout requests (and given back when one is rejected). Available = its sum."""

    class Kind(models.TextChoices):
        REWARD = "reward", _("Reward")
        REWARD_REVERSAL = "reward_reversal", _("Reward reversed (refund)")
        PAYOUT = "payout", _("Payout requested")
        PAYOUT_RETURNED = "payout_returned", _("Payout rejected, returned")

    referrer = models.ForeignKey(
        ReferralProgram,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("referrer"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("referral"),
    )
    # The CRM ledger's top-up or refund behind a reward or its reversal, and how
    # much it was: the Referrals page shows payments without reading CRM ledgers.
    ledger_entry = models.ForeignKey(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ledger entry"),
    )
    payment_amount = models.DecimalField(_("payment"), null=True, blank=True, **MONEY)
    payout = models.ForeignKey(
        PayoutRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payout request"),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("referral ledger entry")
        verbose_name_plural = _("referral ledger entries")
        indexes = [models.Index(fields=["referrer", "created_at"])]
        constraints = [
            # One reward per top-up, one reversal per refund, one hold and at most
            # one return per payout: nothing counted twice.
            models.UniqueConstraint(
                fields=["ledger_entry"],
                condition=Q(ledger_entry__isnull=False),
                name="referral_entry_one_per_ledger_entry",
            ),
            models.UniqueConstraint(
                fields=["payout", "kind"],
                condition=Q(payout__isnull=False),
                name="referral_entry_one_per_payout_and_kind",
            ),
            models.CheckConstraint(
                condition=~Q(amount=0), name="referral_entry_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"
