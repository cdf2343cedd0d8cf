"""The REST API, ``/api/v1/``. The key in ``Authorization: Bearer`` picks the CRM;
no URL here names one."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from crm.api import (
    schema,  # noqa: F401  (registers the Bearer scheme for the docs)
    views,
)

app_name = "api"

router = SimpleRouter()
router.register("users", views.CrmUserViewSet, basename="user")
router.register("groups", views.CrmGroupViewSet, basename="group")
router.register("pipelines", views.PipelineViewSet, basename="pipeline")
router.register("custom-fields", views.CustomFieldViewSet, basename="custom-field")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("companies", views.CompanyViewSet, basename="company")
router.register("deals", views.DealViewSet, basename="deal")
router.register("notes", views.NoteViewSet, basename="note")

urlpatterns = [
    path("crm/", views.CrmView.as_view(), name="crm"),
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^.*$", views.UnknownEndpointView.as_view(), name="unknown"),
]
