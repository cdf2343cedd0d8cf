from allauth.account.forms import SignupForm
from django import forms
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from billing.attribution import attribution_click_id
from crm.models import CRM_NAME_MAX_LENGTH
from crm.services.crms import crm_name_clean
from portal.services import onboarding_start


class SignupWithCrmForm(SignupForm):
    """Sign-up is an Account and its first CRM together: both, or neither."""

    crm_name = forms.CharField(
        label=_("CRM name"),
        max_length=CRM_NAME_MAX_LENGTH,
        error_messages={"required": _("Give your CRM a name.")},
        help_text=_("Your company or project. You can create more CRMs later."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Acme Store")}),
    )

    field_order = ["email", "crm_name", "password1", "password2"]

    def clean_crm_name(self) -> str:
        return crm_name_clean(self.cleaned_data.get("crm_name"))

    def save(self, request: HttpRequest):
        with transaction.atomic():
            return super().save(request)

    def signup(self, request: HttpRequest, user) -> None:
        # allauth calls this inside save(), after the Account row exists.
        onboarding_start(
            account=user,
            crm_name=self.cleaned_data["crm_name"],
            referral_click_id=attribution_click_id(request),
        )


class CrmCreateForm(forms.Form):
    name = forms.CharField(
        label=_("CRM name"),
        max_length=CRM_NAME_MAX_LENGTH,
        error_messages={"required": _("Give your CRM a name.")},
        widget=forms.TextInput(attrs={"autofocus": True}),
    )

    def clean_name(self) -> str:
        return crm_name_clean(self.cleaned_data.get("name"))


class ConnectionCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Connection code"),
        max_length=32,
        help_text=_("In that CRM open My profile → Basic info and make a code."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )


class FindMyCrmsForm(forms.Form):
    email = forms.EmailField(
        label=_("Your work email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class DeleteCrmForm(forms.Form):
    typed_name = forms.CharField(label=_("CRM name"), max_length=200)
