"""Contacts, companies, deals, pipelines and custom fields inside a CRM."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
