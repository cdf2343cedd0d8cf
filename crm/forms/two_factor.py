"""A CRM user's second factor: the code of an authenticator app, and signing in
again before a sensitive step."""

import copy

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Crm


class AuthenticatorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )


class SignInAgainForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autofocus": True}
        ),
    )

    def __init__(self, *args, with_code: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if with_code:
            code = copy.deepcopy(AuthenticatorCodeForm.base_fields["code"])
            code.widget.attrs.pop("autofocus", None)
            self.fields["code"] = code


class TwoFactorRequirementForm(forms.ModelForm):
    class Meta:
        model = Crm
        fields = ["require_two_factor"]
        help_texts = {
            "require_two_factor": _(
                "Everyone must use a second factor to open this CRM: users with a "
                "password here set up an authenticator app at their next page; "
                "those who enter from the portal turn it on for their account."
            )
        }
