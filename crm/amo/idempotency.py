"""``Idempotency-Key``: a create sent again with the same key (a client's retry
after a timeout) answers what the first one answered and makes nothing new.

Keys are kept per CRM and API key for ``KEEP``, with the answer. The key's row is
written in the same transaction as the records, first: a second request with the
same key waits on the row's unique index until the first commits, then answers
from it. A create that fails leaves no key, so fixing the body and retrying works.
The same key with another body is a 422, as it is most likely a client's bug."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from crm.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEEP = datetime.timedelta(hours=24)


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(
        f"{request.method} {request.path}\n{body}".encode()
    ).hexdigest()


def idempotent(request: Request, create: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            _("An Idempotency-Key has at most %(n)d characters.")
            % {"n": MAX_KEY_LENGTH}
        )
    crm, api_key = request.crm, request.auth
    fingerprint = _fingerprint(request)
    keys = IdempotencyKey.objects.for_crm(crm).filter(api_key=api_key)
    with transaction.atomic():
        keys.filter(created_at__lt=timezone.now() - KEEP).delete()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    crm=crm, api_key=api_key, key=key, request_hash=fingerprint
                )
        except IntegrityError:
            row = keys.get(key=key)
            if row.request_hash != fingerprint:
                raise KeyReused(
                    _("This Idempotency-Key was used for another request.")
                ) from None
            replay = Response(row.response, status=row.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        response = create()
        if status.is_success(response.status_code):
            row.status_code = response.status_code
            row.response = response.data
            row.save(update_fields=["status_code", "response"])
        else:
            transaction.set_rollback(True)
        return response
