"""What operators see: structured logs with a request's context, and Sentry.

Logs go through the standard library's logging, rendered by structlog: one JSON
object per line in production (``LOG_FORMAT=json``, the default when DEBUG is off),
aligned text for a person at a terminal otherwise. Every line written while a
request is served carries its ``request_id`` and, once known, the CRM's slug and
who is signed in; lines written by a Celery task carry the task's name and id.

Imported by the settings, so nothing here may import models.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

# A request id from the load balancer is kept when it looks like one; anything
# else (too long, odd characters a log viewer might interpret) is replaced.
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Configure structlog and return the ``LOGGING`` dict for Django.

    ``log_format`` is "json" (one object per line, for a log collector) or
    "console" (for a developer)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {"()": structured_formatter, "log_format": log_format}
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Request bodies may carry passwords; Django only logs paths, keep it so.
            "django.request": {"level": "WARNING"},
            # runserver's own access line repeats the "request" line below.
            "django.server": {"level": "WARNING"},
        },
    }


def structured_formatter(log_format: str) -> logging.Formatter:
    """The formatter of every handler: structlog's own lines and the standard
    library's (Django, Celery) end up alike, with the request's context."""
    if log_format == "json":
        renderers: list[Any] = [
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ]
    else:
        renderers = [structlog.dev.ConsoleRenderer(colors=False)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *renderers,
        ],
    )


def _request_id(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if _REQUEST_ID_RE.match(offered):
        return offered
    return uuid.uuid4().hex


def _who(request: HttpRequest) -> dict[str, Any]:
    """The CRM and the people behind the request, as far as the request found
    them out itself: nothing here loads a session or runs a query."""
    found: dict[str, Any] = {}
    crm = getattr(request, "crm", None)
    crm_user = getattr(request, "crm_user", None)
    user = request.__dict__.get("user")
    if user is not None and getattr(user, "_wrapped", None) is empty:
        user = None  # a lazy user nobody asked for: leave the session unread
    if user is not None and getattr(user, "crm_id", None) is not None:
        # The API: DRF sets the key's acting CRM user as the request's user.
        crm_user, user = crm_user or user, None
    if crm_user is not None:
        found["crm_user_id"] = crm_user.pk
        if crm is None and "crm" in crm_user._state.fields_cache:
            crm = crm_user.crm
    if crm is not None:
        found["crm"] = crm.slug
    if user is not None and getattr(user, "is_authenticated", False):
        found["user_id"] = user.pk
    return found


class RequestContextMiddleware:
    """Give each request an id (kept from ``X-Request-ID`` when the load balancer
    sends a sane one, and sent back in that header), bind it with the CRM's slug to
    every log line written meanwhile, and write one ``request`` line per response
    with its route, status, duration, CRM and user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.logger = structlog.get_logger("portal.request")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        request.request_id = _request_id(request)
        structlog.contextvars.bind_contextvars(request_id=request.request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            self._log(request, response.status_code, started)
            return response
        finally:
            structlog.contextvars.clear_contextvars()

    def process_view(self, request, view_func, view_args, view_kwargs) -> None:
        slug = view_kwargs.get("slug")
        if isinstance(slug, str):
            structlog.contextvars.bind_contextvars(crm=slug)

    def _log(self, request: HttpRequest, status: int, started: float) -> None:
        match = request.resolver_match
        # The route's pattern, not the path: paths carry one-time tokens (Enter,
        # invitations, password resets, e-mail confirmations).
        where = (
            {"route": "/" + match.route, "view": match.view_name}
            if match is not None
            else {"path": request.path[:200]}
        )
        level = logging.ERROR if status >= 500 else logging.INFO
        self.logger.log(
            level,
            "request",
            method=request.method,
            status=status,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
            **where,
            **_who(request),
        )


def celery_task_context(task_id: str | None = None, task: Any = None, **_: Any):
    """Celery's task_prerun: a task's log lines carry its name and id."""
    structlog.contextvars.clear_contextvars()
    if task is not None:
        structlog.contextvars.bind_contextvars(task=task.name, task_id=task_id)


def celery_task_context_clear(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()


def sentry_init(
    *, dsn: str, environment: str, release: str, traces_sample_rate: float
) -> None:
    """Send errors (and a share of traces) to Sentry. Personal data stays out:
    no cookies, bodies or user details beyond what the SDK strips by default."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
