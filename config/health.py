"""Probes for a load balancer or an orchestrator.

- ``/healthz``: the process is alive and serving. It touches nothing else, so a
  database outage does not get every web process restarted at once.
- ``/readyz``: this process can do its work: the database, the cache, the Celery
  broker and the file storage each answer (django-health-check). Any one failing
  is a 503 with a JSON body naming it, so a load balancer stops sending traffic
  here until it is back.
"""

from __future__ import annotations

import dataclasses
import datetime

from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection: what a request needs to hand work
    to the workers. (Whether any worker is listening is the workers' own matter.)"""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self) -> None:
        from config.celery import app

        seconds = self.timeout.total_seconds()
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=seconds)
        except Exception as error:  # kombu raises a different class per transport
            raise ServiceUnavailable("The broker does not answer") from error


class ReadinessView(HealthCheckView):
    checks = (Database, Cache, Broker, Storage)

    async def get(self, request, *args, **kwargs):
        # JSON unless another ?format= is asked for: probes and people read it alike.
        if "format" not in request.GET:
            request.GET = request.GET.copy()
            request.GET["format"] = "json"
        response = await super().get(request, *args, **kwargs)
        # django-health-check answers 500; a dependency down is "unavailable".
        if response.status_code == 500:
            response.status_code = 503
        return response


readyz = ReadinessView.as_view()

PROBES = {"/healthz": healthz, "/readyz": async_to_sync(readyz)}


class HealthProbeMiddleware:
    """First in MIDDLEWARE: answers the two probes before the host check and the
    HTTPS redirect. Load balancers probe each process by its address over plain
    HTTP, with a Host header that is not one of ALLOWED_HOSTS; the routes in
    config/urls.py name the same views for reverse() and for a look by hand."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/"))
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
