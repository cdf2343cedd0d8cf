import json
import time

import pytest
from django.conf import settings
from django.urls import reverse

from billing.webhook import webhook_signature
from tests.factories import AccountFactory, CrmFactory, OwnerCrmUserFactory

WEBHOOK_URL = reverse("billing:webhook")


def signed_headers(body: bytes, *, timestamp: int | None = None, secret=None) -> dict:
    """What the provider sends with ``body``: only the provider is fake."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = webhook_signature(
        secret=secret or settings.BILLING_WEBHOOK_SECRET, timestamp=stamp, body=body
    )
    return {"HTTP_X_BILLING_TIMESTAMP": stamp, "HTTP_X_BILLING_SIGNATURE": signature}


def post_event(client, event, **signing):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return client.post(
        WEBHOOK_URL,
        body,
        content_type="application/json",
        **signed_headers(body, **signing),
    )


def payment_event(crm, payment_id="pay_1", amount="100.00", currency="USD") -> dict:
    return {
        "type": "payment.succeeded",
        "id": payment_id,
        "crm_id": crm.pk,
        "amount": amount,
        "currency": currency,
    }


def refund_event(payment_id="pay_1", refund_id="ref_1", amount="100.00") -> dict:
    return {
        "type": "refund.succeeded",
        "id": refund_id,
        "payment_id": payment_id,
        "amount": amount,
        "currency": "USD",
    }


@pytest.fixture
def owner(db):
    return AccountFactory(email="owner@shop.example")


@pytest.fixture
def shop(owner):
    crm = CrmFactory(owner=owner, name="Owner Shop")
    OwnerCrmUserFactory(crm=crm)
    return crm
