import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
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


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in a thread of its own (so on a database connection of its
    own), all released together: what each returned, in the order given, or the
    exception it raised, for the test to assert on."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, call))
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
