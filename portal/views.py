from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portal.selectors import crm_memberships_for_account


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:crm_list")
    return redirect("account_signup")


@login_required
def crm_list(request: HttpRequest) -> HttpResponse:
    memberships = crm_memberships_for_account(account=request.user)
    return render(request, "portal/crm_list.html", {"memberships": memberships})
