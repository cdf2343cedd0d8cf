"""A rate limit per API key, ``settings.API_RATE_LIMIT`` (e.g. "600/m")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from crm.models import ApiKey

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ApiKeyRateThrottle(SimpleRateThrottle):
    """DRF's sliding window, counted per key in the Django cache (Redis in
    production, so every web process shares the count). Past the limit DRF
    answers 429 with ``Retry-After``."""

    scope = "api_key"

    def get_rate(self) -> str | None:
        # Read at every request, not from DRF's cached THROTTLE_RATES, so that the
        # setting (and tests overriding it) take effect at once. Empty: no limit.
        return getattr(settings, "API_RATE_LIMIT", "") or None

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, ApiKey):
            # Refused before throttling anyway (401); nothing to count against.
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
