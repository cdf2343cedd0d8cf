from django.http import HttpRequest, HttpResponse
from django.views import i18n
from django.views.decorators.http import require_POST

from accounts.services import account_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (the cookie, then back to ``next``), and for a
    signed-in Account the choice is remembered for its portal pages and emails."""
    response = i18n.set_language(request)
    if request.user.is_authenticated:
        account_set_language(
            account=request.user,
            language=request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER),
        )
    return response
