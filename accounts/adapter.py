from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is always open: signing up is how a new CRM owner arrives."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True
