"""Settings → API: the CRM's API keys."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
