"""allauth's portal forms with the product's wording.

allauth labels its fields in Title Case («Current Password», «Remember Me»); these
say the same things the way every other form of the product does, with the labels
the CRM's own password forms use. Validation is allauth's, unchanged. allauth uses
them through ``ACCOUNT_FORMS``."""

from allauth.account import forms as allauth_forms
from allauth.account.fields import PasswordField, SetPasswordField
from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(allauth_forms.LoginForm):
    remember = forms.BooleanField(label=_("Remember me"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The sign-in page has its own "Forgot your password?" link beside the button.
        self.fields["password"].help_text = ""


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    oldpassword = PasswordField(
        label=_("Current password"),
        show_reset_help=True,
        autocomplete="current-password",
    )
    password1 = SetPasswordField(label=_("New password"))
    password2 = PasswordField(
        label=_("New password again"), autocomplete="new-password"
    )


class SetPasswordForm(allauth_forms.SetPasswordForm):
    password1 = SetPasswordField(label=_("Password"))
    password2 = PasswordField(label=_("Password again"), autocomplete="new-password")


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    password1 = SetPasswordField(label=_("New password"))
    password2 = PasswordField(
        label=_("New password again"), autocomplete="new-password"
    )
