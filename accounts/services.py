from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Account


def account_send_welcome_email(*, account: Account) -> None:
    context = {"account": account, "site_url": settings.SITE_URL}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("emails/welcome_subject.txt", context).strip()
        body = render_to_string("emails/welcome_body.txt", context)
    send_mail(subject, body, None, [account.email])
