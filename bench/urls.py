"""The project's URLs plus the baseline every throughput figure is divided by."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


@login_required
def baseline(request: HttpRequest) -> HttpResponse:
    """A minimal session-authenticated view: pays for the middleware, the session
    and the Account lookup, nothing else."""
    return HttpResponse("ok")


def baseline_query(request: HttpRequest) -> JsonResponse:
    """A minimal view doing one indexed query of 50 rows (the API list's baseline):
    no authentication, no serializer, no pagination, just the rows as JSON."""
    from crm.models import Contact

    rows = list(
        Contact.objects.filter(crm_id=int(request.GET["crm"]), is_archived=False)
        .order_by("-id")
        .values("id", "name", "email", "phone", "responsible_id")[:50]
    )
    return JsonResponse({"results": rows})


urlpatterns = [
    *project_urlpatterns,
    path("bench/baseline/", baseline, name="bench_baseline"),
    path("bench/baseline-query/", baseline_query, name="bench_baseline_query"),
]
