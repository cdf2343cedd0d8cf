"""The referral attribution a browser carries from a link's first visit to
sign-up: a signed cookie naming that visit, whose signature dates it, so that it
lapses ``REFERRAL_ATTRIBUTION_DAYS`` after the first click and is never renewed
by later ones."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "referral"
COOKIE_SALT = "billing.referral-attribution"


def _max_age() -> int:
    return settings.REFERRAL_ATTRIBUTION_DAYS * 24 * 60 * 60


def attribution_click_id(request: HttpRequest) -> int | None:
    """The visit this browser is attributed to, while the attribution lasts."""
    value = request.get_signed_cookie(
        COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=_max_age()
    )
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def attribution_set(response: HttpResponse, click_id: int) -> None:
    response.set_signed_cookie(
        COOKIE_NAME,
        str(click_id),
        salt=COOKIE_SALT,
        max_age=_max_age(),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
