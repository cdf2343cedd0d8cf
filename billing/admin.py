"""Operators' side of billing: the ledgers to read, staff entries (always with a
reason) through the same service as everything else, and payout decisions."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from billing.models import (
    LedgerEntry,
    PayoutRequest,
    Referral,
    ReferralEntry,
    ReferralProgram,
    Wallet,
)
from billing.services import ledger_entry_add, payout_decide
from billing.services.ledger import STAFF_KINDS, staff_entry_clean
from crm.models import Crm


class ReadOnlyAdmin(admin.ModelAdmin):
    """Bookkeeping is written by services only, and never edited or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class StaffEntryForm(forms.ModelForm):
    crm = forms.ModelChoiceField(
        label=_("CRM"),
        queryset=Crm.objects.order_by("name"),
        help_text=_("The CRM whose balance this entry changes."),
    )
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[(kind.value, kind.label) for kind in STAFF_KINDS],
        initial=LedgerEntry.Kind.CORRECTION,
    )
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: why the balance changes. The owner sees it."),
    )

    class Meta:
        model = LedgerEntry
        fields = ["crm", "kind", "amount", "reason"]

    def clean(self):
        cleaned = super().clean()
        if {"kind", "amount", "reason"} <= cleaned.keys():
            try:
                staff_entry_clean(
                    kind=cleaned["kind"],
                    amount=cleaned["amount"],
                    reason=cleaned["reason"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned

    def _post_clean(self) -> None:
        # The service builds and checks the row; the form's instance is not it.
        pass


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "crm_name",
        "crm_id",
        "kind",
        "amount",
        "currency",
        "balance_after",
        "created_by",
    )
    list_filter = ("kind", "currency")
    search_fields = ("crm_name", "=crm_id", "=provider_payment_id", "reason")
    date_hierarchy = "created_at"
    form = StaffEntryForm
    readonly_fields = (
        "crm_id",
        "crm_name",
        "kind",
        "amount",
        "currency",
        "balance_after",
        "provider_payment_id",
        "refund_of",
        "reason",
        "created_by",
        "created_at",
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj=None):
        return (
            ["crm", "kind", "amount", "reason"] if obj is None else self.readonly_fields
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        entry = ledger_entry_add(
            crm=form.cleaned_data["crm"],
            kind=form.cleaned_data["kind"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        obj.__dict__.update(entry.__dict__)

    def save_related(self, request, form, formsets, change) -> None:
        pass


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ("crm_name", "crm_id", "balance", "currency", "updated_at")
    search_fields = ("crm_name", "=crm_id")


@admin.register(PayoutRequest)
class PayoutRequestAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "referrer",
        "amount",
        "currency",
        "destination",
        "status",
        "decided_at",
    )
    list_filter = ("status", "currency")
    search_fields = ("referrer__account__email", "destination")
    actions = ["mark_paid", "mark_rejected"]
    readonly_fields = (
        "referrer",
        "amount",
        "currency",
        "destination",
        "status",
        "note",
        "created_at",
        "decided_at",
        "decided_by",
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and obj.status == PayoutRequest.Status.REQUESTED:
            # A note for the referrer (why it is rejected, say) before deciding.
            return tuple(name for name in self.readonly_fields if name != "note")
        return self.readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet, *, paid: bool) -> None:
        done = 0
        for payout_id in queryset.values_list("pk", flat=True):
            try:
                payout_decide(payout_id=payout_id, paid=paid, actor=request.user)
            except ValidationError as error:
                self.message_user(
                    request, f"#{payout_id}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                _("%(count)d payout request(s) decided.") % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Mark as paid"), permissions=["change"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, paid=True)

    @admin.action(
        description=_("Reject (the amount is available again)"), permissions=["change"]
    )
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, paid=False)


@admin.register(ReferralProgram)
class ReferralProgramAdmin(ReadOnlyAdmin):
    list_display = ("account", "code", "activated_at")
    search_fields = ("account__email", "=code")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("email", "referrer", "signed_up_at", "rewards_until")
    search_fields = ("email", "referrer__account__email")


@admin.register(ReferralEntry)
class ReferralEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "referrer", "kind", "amount", "currency")
    list_filter = ("kind",)
    search_fields = ("referrer__account__email",)
