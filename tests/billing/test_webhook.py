"""The payment provider's webhook, signed by the tests themselves: forged, stale,
replayed, malformed and unknown events are refused with the right status and
leave the ledger as it was; never a 500."""

import json
import time
from decimal import Decimal

import pytest
from django.test import Client, override_settings

from billing.models import LedgerEntry, Wallet
from tests.billing.conftest import (
    WEBHOOK_URL,
    at_once,
    payment_event,
    post_event,
    refund_event,
    signed_headers,
)

pytestmark = pytest.mark.django_db


def status_codes(responses: list) -> list[int]:
    for response in responses:
        if isinstance(response, Exception):
            raise response
    return [response.status_code for response in responses]


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_a_signed_payment_tops_up_the_crm(client, shop):
    response = post_event(client, payment_event(shop, amount="25.40"))
    assert response.status_code == 200
    assert response.json()["status"] == "recorded"
    assert response.json()["balance_after"] == "25.40"
    assert Wallet.objects.get(crm_id=shop.pk).balance == Decimal("25.40")


def test_a_json_number_amount_is_read_exactly(client, shop):
    body = (
        b'{"type": "payment.succeeded", "id": "p", "crm_id": %d, "amount": 0.1,'
        b' "currency": "usd"}' % shop.pk
    )
    assert post_event(client, body).status_code == 200
    assert LedgerEntry.objects.get().amount == Decimal("0.10")


def test_a_retried_payment_is_recorded_once(client, shop):
    first = post_event(client, payment_event(shop))
    again = post_event(client, payment_event(shop))
    assert again.status_code == 200
    assert again.json() == {**first.json(), "status": "already_recorded"}
    assert LedgerEntry.objects.count() == 1


def test_a_refund_reverses_the_payment(client, shop):
    post_event(client, payment_event(shop, amount="30.00"))
    response = post_event(client, refund_event(amount="10.00"))
    assert response.status_code == 200
    assert Wallet.objects.get(crm_id=shop.pk).balance == Decimal("20.00")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_signature"),
        ({"HTTP_X_BILLING_TIMESTAMP": "1"}, "missing_signature"),
        ({"HTTP_X_BILLING_SIGNATURE": "sha256=00"}, "missing_signature"),
    ],
)
def test_unsigned_requests_are_401(client, shop, headers, code):
    body = json.dumps(payment_event(shop)).encode()
    response = client.post(
        WEBHOOK_URL, body, content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert error_code(response) == code
    assert not LedgerEntry.objects.exists()


def test_a_forged_signature_is_401(client, shop):
    response = post_event(client, payment_event(shop), secret="not-the-secret")
    assert response.status_code == 401
    assert error_code(response) == "bad_signature"
    assert not LedgerEntry.objects.exists()


def test_a_body_changed_after_signing_is_401(client, shop):
    body = json.dumps(payment_event(shop, amount="1.00")).encode()
    headers = signed_headers(body)
    tampered = body.replace(b"1.00", b"9999.00")
    response = client.post(
        WEBHOOK_URL, tampered, content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert not LedgerEntry.objects.exists()


# Past the 300 s tolerance by 5 s: the timestamp is whole seconds, cut from a
# clock that goes on while the request runs, so 1 s past it could land inside.
@pytest.mark.parametrize("skew", [-305, 305, -86400])
def test_a_stale_or_future_timestamp_is_401_even_when_signed(client, shop, skew):
    response = post_event(
        client, payment_event(shop), timestamp=int(time.time()) + skew
    )
    assert response.status_code == 401
    assert error_code(response) == "stale_timestamp"
    assert not LedgerEntry.objects.exists()


def test_a_replayed_capture_outside_the_tolerance_is_refused(client, shop):
    """A request captured and sent again later: same body, same signature."""
    body = json.dumps(payment_event(shop)).encode()
    old = int(time.time()) - 3600
    headers = signed_headers(body, timestamp=old)
    response = client.post(
        WEBHOOK_URL, body, content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"type": "payment.succeeded"}',
        b'{"type": "subscription.created", "id": "x"}',
        b'{"type": "payment.succeeded", "id": "p", "crm_id": "1", "amount": "1",'
        b' "currency": "USD"}',
        b'{"type": "payment.succeeded", "id": "p", "crm_id": true, "amount": "1",'
        b' "currency": "USD"}',
        b'{"type": "payment.succeeded", "id": "p", "crm_id": 99999999999999999999999,'
        b' "amount": "1", "currency": "USD"}',
        b'{"type": "payment.succeeded", "id": "p", "crm_id": 1, "amount": "ten",'
        b' "currency": "USD"}',
        b'{"type": "payment.succeeded", "id": "p", "crm_id": 1, "amount": "1",'
        b' "currency": "US"}',
        b'{"type": "payment.succeeded", "id": "", "crm_id": 1, "amount": "1",'
        b' "currency": "USD"}',
    ],
)
def test_malformed_events_are_400(client, shop, body):
    response = post_event(client, body)
    assert response.status_code == 400
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "amount", ["0", "-1", "1.001", "NaN", "Infinity", "1e13", "1E+1000000000"]
)
def test_amounts_that_are_not_money_are_400(client, shop, amount):
    response = post_event(client, payment_event(shop, amount=amount))
    assert response.status_code == 400
    assert not LedgerEntry.objects.exists()


def test_an_unknown_crm_is_422(client, shop):
    event = payment_event(shop)
    event["crm_id"] = shop.pk + 1000
    response = post_event(client, event)
    assert response.status_code == 422
    assert error_code(response) == "unknown_crm"
    assert not LedgerEntry.objects.exists()


def test_refund_refusals_are_422(client, shop):
    assert post_event(client, refund_event()).status_code == 422
    post_event(client, payment_event(shop, amount="10.00"))
    response = post_event(client, refund_event(amount="10.01"))
    assert response.status_code == 422
    assert error_code(response) == "refund_exceeds_payment"
    assert LedgerEntry.objects.count() == 1


def test_a_payment_id_reused_for_another_payment_is_409(client, shop):
    post_event(client, payment_event(shop, amount="10.00"))
    response = post_event(client, payment_event(shop, amount="20.00"))
    assert response.status_code == 409
    assert Wallet.objects.get(crm_id=shop.pk).balance == Decimal("10.00")


def test_only_post(client):
    assert client.get(WEBHOOK_URL).status_code == 405


@override_settings(BILLING_WEBHOOK_SECRET="")
def test_without_a_secret_nothing_is_accepted(client, shop):
    response = post_event(client, payment_event(shop), secret="anything")
    assert response.status_code == 503
    assert not LedgerEntry.objects.exists()


def test_csrf_does_not_apply_to_the_provider(shop):
    client = Client(enforce_csrf_checks=True)
    assert post_event(client, payment_event(shop)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_same_payment_sent_twice_at_once_is_recorded_once(shop):
    """Two deliveries of one payment racing on two connections."""
    answers = status_codes(
        at_once(*[lambda: post_event(Client(), payment_event(shop))] * 2)
    )
    assert answers == [200, 200]
    assert LedgerEntry.objects.count() == 1
    assert Wallet.objects.get(crm_id=shop.pk).balance == Decimal("100.00")


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_both_count_and_the_balance_is_their_sum(shop):
    """Two different payments racing: the wallet's row lock serialises them, so no
    update of the balance is lost and each entry's balance-after is exact."""
    assert post_event(Client(), payment_event(shop, "pay_0", "1.00")).status_code == 200
    answers = status_codes(
        at_once(
            lambda: post_event(Client(), payment_event(shop, "pay_a", "10.00")),
            lambda: post_event(Client(), payment_event(shop, "pay_b", "32.50")),
        )
    )
    assert answers == [200, 200]
    wallet = Wallet.objects.get(crm_id=shop.pk)
    assert (wallet.balance, wallet.entry_count) == (Decimal("43.50"), 3)
    afters = sorted(LedgerEntry.objects.values_list("balance_after", flat=True))
    assert afters[0] == Decimal("1.00")
    assert afters[1] in (Decimal("11.00"), Decimal("33.50"))
    assert afters[2] == Decimal("43.50")


def test_a_balance_beyond_what_the_ledger_holds_is_400_not_500(client, shop):
    big = "999999999999.99"
    assert post_event(client, payment_event(shop, "p1", big)).status_code == 200
    response = post_event(client, payment_event(shop, "p2", "0.01"))
    assert response.status_code == 400
    assert Wallet.objects.get(crm_id=shop.pk).balance == Decimal(big)
