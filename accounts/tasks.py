from celery import shared_task

from accounts.models import Account
from accounts.services import account_send_welcome_email


@shared_task(
    autoretry_for=(OSError,), retry_backoff=True, max_retries=5, acks_late=True
)
def send_welcome_email(account_id: int) -> None:
    account = Account.objects.filter(pk=account_id, is_active=True).first()
    if account is None:
        return
    account_send_welcome_email(account=account)
