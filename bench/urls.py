"""The project's URLs plus a minimal signed-in view for bench/profile_requests.py."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


@login_required
def baseline(request: HttpRequest) -> HttpResponse:
    """A minimal session-authenticated view: pays for the middleware, the session
    and the Account lookup, nothing else."""
    return HttpResponse("ok")


urlpatterns = [
    *project_urlpatterns,
    path("bench/baseline/", baseline, name="bench_baseline"),
]
