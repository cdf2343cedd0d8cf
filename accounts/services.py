from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Account


def language_supported(language: str | None) -> str:
    """``language`` if the product speaks it (uk, ru, en), else an empty string."""
    return language if language in dict(settings.LANGUAGES) else ""


def account_set_language(*, account: Account, language: str) -> Account:
    """Remember the language the Account's portal pages and emails speak."""
    language = language_supported(language)
    if language and language != account.language:
        account.language = language
        Account.objects.filter(pk=account.pk).update(language=language)
    return account


def account_send_welcome_email(*, account: Account) -> None:
    context = {
        "account": account,
        "login_link": settings.SITE_URL + reverse("account_login"),
    }
    with translation.override(account.email_language):
        subject = render_to_string("emails/welcome_subject.txt", context).strip()
        body = render_to_string("emails/welcome_body.txt", context)
    send_mail(subject, body, None, [account.email])
