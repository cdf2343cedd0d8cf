"""The payment provider's webhook: ``POST /billing/webhook/``.

The provider signs ``"<timestamp>.<raw body>"`` with HMAC-SHA256 under the shared
secret ``BILLING_WEBHOOK_SECRET`` and sends ``X-Billing-Timestamp: <unix seconds>``
and ``X-Billing-Signature: sha256=<hex digest>``. The body is JSON:

- a payment: ``{"type": "payment.succeeded", "id": "<payment id>", "crm_id": 42,
  "amount": "10.00", "currency": "USD"}``
- a refund: ``{"type": "refund.succeeded", "id": "<refund id>",
  "payment_id": "<payment id>", "amount": "4.00", "currency": "USD"}``

Answers (JSON; ``error.code`` says which refusal):

- 200 recorded, or already recorded (the same id again is the same entry: the
  provider may retry safely);
- 401 a missing or wrong signature, or a timestamp further than
  ``BILLING_WEBHOOK_TOLERANCE_SECONDS`` from now (a replay): the sender is not
  proven to be the provider now, so nothing in the body is read;
- 400 a body that is not JSON or lacks a field, or an amount that is not money;
- 409 an id already used for a different payment;
- 422 a well-formed event the ledger refuses: an unknown CRM or payment, another
  currency than the CRM's, refunds above the payment;
- 503 no secret configured: nothing can be verified.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.services import BillingRefused, payment_record, refund_record

SIGNATURE_HEADER = "X-Billing-Signature"
TIMESTAMP_HEADER = "X-Billing-Timestamp"
PAYMENT = "payment.succeeded"
REFUND = "refund.succeeded"


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """What the provider puts in ``X-Billing-Signature`` for this body."""
    digest = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


class BadEvent(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _text(event: dict, name: str, max_length: int = 100) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise BadEvent(f"'{name}' must be a non-empty string of at most {max_length}.")
    return value.strip()


def _amount(event: dict) -> Decimal:
    value = event.get("amount")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise BadEvent("'amount' must be a decimal number, e.g. \"10.00\".")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as error:
        raise BadEvent("'amount' must be a decimal number, e.g. \"10.00\".") from error


def _currency(event: dict) -> str:
    value = _text(event, "currency", 3).upper()
    if len(value) != 3 or not value.isalpha() or not value.isascii():
        raise BadEvent("'currency' must be a three-letter ISO 4217 code.")
    return value


def _verified(request: HttpRequest, secret: str) -> JsonResponse | None:
    """None when the body is the provider's, signed recently; else the refusal."""
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not signature:
        return _refuse(401, "missing_signature", "Sign the request.")
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=request.body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return _refuse(401, "bad_signature", "The signature does not match.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        return _refuse(401, "stale_timestamp", "The timestamp is not a number.")
    if abs(time.time() - sent_at) > settings.BILLING_WEBHOOK_TOLERANCE_SECONDS:
        return _refuse(401, "stale_timestamp", "The timestamp is too old or new.")
    return None


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.BILLING_WEBHOOK_SECRET
    if not secret:
        return _refuse(503, "not_configured", "Webhooks are not configured.")
    refusal = _verified(request, secret)
    if refusal is not None:
        return refusal
    try:
        event = json.loads(request.body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "malformed", "The body is not JSON.")
    try:
        if not isinstance(event, dict):
            raise BadEvent("The body must be a JSON object.")
        kind = event.get("type")
        if kind == PAYMENT:
            crm_id = event.get("crm_id")
            if (
                isinstance(crm_id, bool)
                or not isinstance(crm_id, int)
                or not 0 < crm_id < 2**63
            ):
                raise BadEvent("'crm_id' must be an integer.")
            entry, created = payment_record(
                crm_id=crm_id,
                payment_id=_text(event, "id"),
                amount=_amount(event),
                currency=_currency(event),
            )
        elif kind == REFUND:
            entry, created = refund_record(
                refund_id=_text(event, "id"),
                payment_id=_text(event, "payment_id"),
                amount=_amount(event),
                currency=_currency(event),
            )
        else:
            raise BadEvent(f"'type' must be '{PAYMENT}' or '{REFUND}'.")
    except BadEvent as error:
        return _refuse(400, "invalid", error.message)
    except ValidationError as error:
        return _refuse(400, "invalid_amount", " ".join(error.messages))
    except BillingRefused as refused:
        status = {"payment_id_conflict": 409, "invalid_amount": 400}.get(
            refused.code, 422
        )
        return _refuse(status, refused.code, refused.message)
    return JsonResponse(
        {
            "status": "recorded" if created else "already_recorded",
            "entry_id": entry.pk,
            "balance_after": str(entry.balance_after),
        }
    )
