"""The referrer's e-mails, sent by a real Celery worker (Redis in CI): the web
request only enqueues them after its transaction commits."""

import pytest
from django.urls import reverse

from tests.factories import ReferralProgramFactory

# The real-worker fixtures, shared with the other worker tests.
from tests.test_celery_worker import eager_off as eager_off
from tests.test_celery_worker import worker as worker
from tests.test_celery_worker import worker_emails

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_referrals_sign_up_is_mailed_to_the_referrer_by_the_worker(client, worker):
    program = ReferralProgramFactory(account__email="referrer@agency.example")
    client.get(reverse("billing:referral_link", kwargs={"code": program.code}))
    response = client.post(
        reverse("account_signup"),
        {
            "email": "referred@example.com",
            "crm_name": "Referred Shop",
            "password1": "a-long-secret-phrase",
            "password2": "a-long-secret-phrase",
        },
    )
    assert response.status_code == 302

    to_referrer = [
        text
        for text in worker_emails(worker, 3)
        if "To: referrer@agency.example" in text
    ]
    assert len(to_referrer) == 1
    assert "Someone signed up through your referral link" in to_referrer[0]
    assert "re***@ex***.com" in to_referrer[0]
    assert "referred@example.com" not in to_referrer[0]
