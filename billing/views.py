"""The Account's billing pages and the referral program: thin doors into
``billing.services`` and ``billing.selectors``."""

from __future__ import annotations

from decimal import Decimal

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.attribution import attribution_click_id, attribution_set
from billing.forms import PayoutRequestForm
from billing.selectors import (
    crm_owned_get,
    ledger_page,
    payouts_for_program,
    referral_program_by_code,
    referral_program_for_account,
    referral_rows,
    referral_statistics,
    referral_totals,
    wallet_for_crm,
)
from billing.services import (
    payout_request,
    referral_click_record,
    referral_program_activate,
)
from crm.forms.errors import form_add_service_errors


@login_required
@require_GET
def crm_billing(request: HttpRequest, crm_id: int) -> HttpResponse:
    crm = crm_owned_get(account=request.user, crm_id=crm_id)
    return render(
        request,
        "billing/crm_billing.html",
        {
            "crm": crm,
            "wallet": wallet_for_crm(crm=crm),
            "page": ledger_page(crm_id=crm.pk, page_number=request.GET.get("page")),
        },
    )


def _program_context(request: HttpRequest, program, section: str) -> dict:
    return {
        "program": program,
        "section": section,
        "link": request.build_absolute_uri(
            reverse("billing:referral_link", kwargs={"code": program.code})
        )
        if program
        else "",
        "settings": {
            "percent": settings.REFERRAL_REWARD_PERCENT.normalize(),
            "months": settings.REFERRAL_REWARD_MONTHS,
            "days": settings.REFERRAL_ATTRIBUTION_DAYS,
            "minimum": f"{settings.REFERRAL_MIN_PAYOUT} "
            f"{settings.BILLING_DEFAULT_CURRENCY}",
        },
    }


@login_required
@require_GET
def referral_home(request: HttpRequest) -> HttpResponse:
    program = referral_program_for_account(account=request.user)
    context = _program_context(request, program, "overview")
    if program is not None:
        context["totals"] = referral_totals(program=program)
    return render(request, "billing/referral_home.html", context)


@login_required
@require_POST
def referral_activate(request: HttpRequest) -> HttpResponse:
    referral_program_activate(account=request.user)
    messages.success(
        request, _("The referral program is active. Share your link below.")
    )
    return redirect("billing:referral_home")


def _program_or_redirect(request: HttpRequest):
    program = referral_program_for_account(account=request.user)
    if program is None:
        messages.info(request, _("Activate the referral program first."))
    return program


@login_required
@require_GET
def referral_referrals(request: HttpRequest) -> HttpResponse:
    program = _program_or_redirect(request)
    if program is None:
        return redirect("billing:referral_home")
    context = _program_context(request, program, "referrals")
    context["rows"] = referral_rows(program=program)
    return render(request, "billing/referral_referrals.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def referral_payouts(request: HttpRequest) -> HttpResponse:
    program = _program_or_redirect(request)
    if program is None:
        return redirect("billing:referral_home")
    totals = referral_totals(program=program)
    form = PayoutRequestForm(
        request.POST or None, currencies=[item.currency for item in totals]
    )
    if request.method == "POST" and form.is_valid():
        try:
            payout = payout_request(
                account=request.user,
                amount=form.cleaned_data["amount"],
                currency=form.cleaned_data["currency"],
                destination=form.cleaned_data["destination"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Payout of %(amount)s %(currency)s requested.")
                % {"amount": payout.amount, "currency": payout.currency},
            )
            return redirect("billing:referral_payouts")
    context = _program_context(request, program, "payouts")
    context.update(
        totals=totals, form=form, payouts=payouts_for_program(program=program)
    )
    return render(
        request,
        "billing/referral_payouts.html",
        context,
        status=400 if form.errors else 200,
    )


CHART_HEIGHT = 120
CHART_BAR = 24
CHART_STEP = 36


def _chart(months: list[tuple]) -> dict:
    """An SVG bar chart's geometry: one bar per month, scaled to the best one."""
    peak = max((value for _month, value in months), default=Decimal(0))
    bars = []
    for index, (month, value) in enumerate(months):
        height = int(CHART_HEIGHT * value / peak) if peak > 0 and value > 0 else 0
        bars.append(
            {
                "month": month,
                "value": value,
                "x": index * CHART_STEP + (CHART_STEP - CHART_BAR) // 2,
                "label_x": index * CHART_STEP + CHART_STEP // 2,
                "y": CHART_HEIGHT - height,
                "height": height,
            }
        )
    return {
        "bars": bars,
        "width": CHART_STEP * len(months),
        "height": CHART_HEIGHT,
        "bar_width": CHART_BAR,
        "peak": peak,
    }


@login_required
@require_GET
def referral_stats(request: HttpRequest) -> HttpResponse:
    program = _program_or_redirect(request)
    if program is None:
        return redirect("billing:referral_home")
    context = _program_context(request, program, "statistics")
    stats = referral_statistics(program=program)
    context.update(stats=stats, chart=_chart(stats["months"]))
    return render(request, "billing/referral_stats.html", context)


@require_GET
def referral_link(request: HttpRequest, code: str) -> HttpResponse:
    """A visit to a referral link: counted, and the browser attributed to the
    referrer unless it already is (the first click wins) or belongs to them."""
    program = referral_program_by_code(code=code)
    if program is None:
        return render(request, "billing/referral_unknown.html", status=404)
    if request.user.is_authenticated:
        # Already an Account: nothing to attribute (and never one's own link).
        return redirect("portal:crm_list")
    response = redirect("account_signup")
    if not ratelimit.consume(request, action="referral_click", key=program.code):
        return response
    click = referral_click_record(program=program)
    if attribution_click_id(request) is None:
        attribution_set(response, click.pk)
    return response
