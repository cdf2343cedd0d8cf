"""A CRM's home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.tenancy import (
    crm_view,
)


@crm_view
def crm_home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "crm/home.html", {"crm": request.crm, "crm_user": request.crm_user}
    )
