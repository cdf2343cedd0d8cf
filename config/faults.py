"""A 503 with ``Retry-After``, not a 500, while something a request needs is away.

- The database: a refused connection, or one that died with a restart, raises
  ``OperationalError``/``InterfaceError``. A view's error reaches
  ``process_exception``. One raised in a middleware (loading the session, the
  Account) has already been turned into a 500 by Django before any outer middleware
  sees it, so ``got_request_exception`` marks the request and ``__call__`` swaps that
  500 for the 503.
- The counters of a rate limit that fails closed (``config.cache``).

Pages get ``templates/503.html``, rendered without the request's context processors
(they read the session and the database); ``/api/`` gets the API's JSON error shape.
Nothing needs doing once the database is back: Django closes a connection that
failed at the end of its request and checks a kept one before reusing it
(``CONN_HEALTH_CHECKS``), so the next request connects afresh.
"""

from __future__ import annotations

import json
import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from config.cache import RateLimitUnavailable

logger = logging.getLogger(__name__)

DATABASE = "database"
RATE_LIMIT = "rate_limit"


def outage_reason(error: BaseException | None) -> str | None:
    if isinstance(error, OperationalError | InterfaceError):
        return DATABASE
    if isinstance(error, RateLimitUnavailable):
        return RATE_LIMIT
    return None


def unavailable_response(request: HttpRequest, reason: str) -> HttpResponse:
    retry_after = settings.SERVICE_UNAVAILABLE_RETRY_AFTER
    if request.path.startswith("/api/"):
        message = (
            _("This step is paused while attempts cannot be counted. Try again later.")
            if reason == RATE_LIMIT
            else _("The service is restarting. Try again later.")
        )
        body = {"error": {"code": "unavailable", "message": message, "fields": {}}}
        response = HttpResponse(
            json.dumps(body), status=503, content_type="application/json"
        )
    else:
        html = render_to_string(
            "503.html", {"reason": reason, "retry_after": retry_after}
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def _mark_outage(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Sent by Django inside its ``except``: the error is the one being handled."""
    reason = outage_reason(sys.exc_info()[1])
    if request is not None and reason:
        request.service_outage = reason


got_request_exception.connect(_mark_outage, dispatch_uid="config.faults.outage")


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        reason = getattr(request, "service_outage", None)
        if reason and response.status_code == 500:
            logger.warning(
                "503 for %s %s: %s unavailable", request.method, request.path, reason
            )
            return unavailable_response(request, reason)
        return response

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        reason = outage_reason(exception)
        if reason is None:
            return None
        logger.warning(
            "503 for %s %s: %s unavailable (%s)",
            request.method,
            request.path,
            reason,
            exception,
        )
        return unavailable_response(request, reason)
