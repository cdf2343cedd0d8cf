from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from accounts.models import Account
from accounts.services import language_supported


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is always open: signing up is how a new CRM owner arrives."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        # The new Account keeps speaking the language it signed up in.
        user.language = language_supported(translation.get_language())
        return super().save_user(request, user, form, commit=commit)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials):
        """login_failed's key: one email from one client address. On the email
        alone, anyone could keep a named Account locked out by failing on purpose;
        the action's per-IP rate still bounds guessing across emails."""
        email_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{email_key}:{self.get_client_ip(request)}"

    def get_reauthentication_methods(self, user) -> list[dict]:
        """With a second factor on, a sensitive step asks for it, not the password
        alone: a password is what a phished or reused credential gives away."""
        methods = super().get_reauthentication_methods(user)
        second_factors = [m for m in methods if m["id"] != "reauthenticate"]
        return second_factors or methods

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Password resets, confirmations and notices, written in
        templates/account/email/: in the recipient Account's language (allauth
        names the Account only for some of them), and to an address with no Account
        in the language of whoever asked. Links of the product's own start at
        ``site_url``, as in its other emails."""
        account = context.get("user")
        if account is None:
            account = Account.objects.filter(email__iexact=email).first()
        language = getattr(account, "language", "") or translation.get_language()
        context = {"site_url": settings.SITE_URL, **context}
        with translation.override(language):
            super().send_mail(template_prefix, email, context)
