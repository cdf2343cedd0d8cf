"""Find my CRMs: an email with every CRM an address can sign in to."""

from allauth.core import ratelimit
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from portal.forms import FindMyCrmsForm
from portal.services import find_my_crms_request


@require_http_methods(["GET", "POST"])
def find_my_crms(request: HttpRequest) -> HttpResponse:
    form = FindMyCrmsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if not ratelimit.consume(request, action="find_my_crms", key=email):
            return ratelimit.respond_429(request)
        find_my_crms_request(email=email)
        return render(request, "portal/find_sent.html", {"email": email})
    status = 400 if form.errors else 200
    return render(request, "portal/find.html", {"form": form}, status=status)
