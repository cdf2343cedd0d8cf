"""Settings → API: the CRM's API keys."""

from django.urls import path

from crm import apikeys_views

urlpatterns = [
    path("", apikeys_views.api_keys, name="api_keys"),
    path(
        "<int:api_key_id>/revoke/",
        apikeys_views.api_key_revoke_view,
        name="api_key_revoke",
    ),
]
