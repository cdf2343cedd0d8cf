from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils import translation

from accounts.services import language_supported


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is always open: signing up is how a new CRM owner arrives."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        # The new Account keeps speaking the language it signed up in.
        user.language = language_supported(translation.get_language())
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Password resets, confirmations and notices: in the Account's language;
        to an address with no Account, in the language of whoever asked."""
        account = context.get("user")
        language = getattr(account, "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)
