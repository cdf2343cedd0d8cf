"""The portal speaks the signed-in Account's language."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class AccountLanguageMiddleware:
    """After ``LocaleMiddleware`` chose a language from the cookie or the browser's
    Accept-Language, a signed-in Account's own choice (``Account.language``) wins.

    It costs no query: the Account is looked at only when the session holds one, and
    then the view loads it anyway (auth caches it on the request). Views that decide
    their language themselves are marked ``language_from_view`` and left alone, so a
    CRM's pages (which follow the CRM user) never load the Account."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if getattr(view_func, "language_from_view", False):
            return None
        if SESSION_KEY not in request.session:
            return None
        language = getattr(request.user, "language", "")
        if language and language != translation.get_language():
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return None
