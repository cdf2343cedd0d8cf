"""API keys: issuing, revoking and recognising the keys integrations send as
``Authorization: Bearer <key>``.

The raw key is shown once, when it is made. The database keeps a keyed hash (a
stolen copy of the table cannot be used to call the API) and the first characters,
which let people tell their keys apart in Settings → API. Every request looks its
key up, so a revoked key is refused from the moment the revocation commits.

A key acts as the CRM's owner but lives only as long as its creator: deactivating
or deleting them revokes their keys (``api_key_revoke_created_by``), and a key whose
creator is gone or inactive is refused all the same. A key may expire, and may be
read-only (the API's permission check allows it safe methods only)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import ApiKey, AuditEvent, Crm, CrmUser
from crm.services.audit import audit_record
from crm.services.secrets import secret_hash

API_KEY_PREFIX = "crm_"
API_KEY_SHOWN_CHARS = 12
API_KEY_NAME_MAX_LENGTH = 100
# Longer than any key we issue (4 + 43 characters), short enough that hashing what a
# client sends costs nothing.
API_KEY_MAX_LENGTH = 200
# ``last_used_at`` is for people ("used 3 minutes ago"), so a minute is precise
# enough and spares the database a write per request.
LAST_USED_PRECISION = timedelta(minutes=1)
# A key that outlives its purpose is a liability: an expiry is at most this far off.
API_KEY_MAX_LIFETIME = timedelta(days=2 * 365)


def _key_hash(raw_key: str) -> str:
    return secret_hash(purpose="api", value=raw_key)


def _expiry_clean(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at, timezone.get_current_timezone())
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": _("Choose an expiry date in the future.")})
    if expires_at > now + API_KEY_MAX_LIFETIME:
        raise ValidationError(
            {"expires_at": _("A key can expire at most two years from now.")}
        )
    return expires_at


def api_key_create(
    *,
    crm: Crm,
    name: str,
    created_by: CrmUser,
    expires_at: datetime | None = None,
    scope: str = ApiKey.Scope.FULL,
) -> tuple[ApiKey, str]:
    """A new key for ``crm``. Returns the key and its raw value, which exists
    nowhere else: the caller shows it once and forgets it. ``expires_at`` (None:
    never) must be in the future and at most :data:`API_KEY_MAX_LIFETIME` away."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the key a name.")})
    if len(name) > API_KEY_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("At most %(n)d characters.") % {"n": API_KEY_NAME_MAX_LENGTH}}
        )
    if scope not in ApiKey.Scope.values:
        raise ValidationError({"scope": _("Choose full access or read only.")})
    expires_at = _expiry_clean(expires_at)
    if created_by.crm_id != crm.pk:
        raise Http404
    raw_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        crm=crm,
        name=name,
        prefix=raw_key[:API_KEY_SHOWN_CHARS],
        key_hash=_key_hash(raw_key),
        created_by=created_by,
        expires_at=expires_at,
        scope=scope,
    )
    audit_record(
        crm=crm,
        action=AuditEvent.Action.API_KEY_CREATED,
        actor_crm_user=created_by,
        details={
            "name": api_key.name,
            "prefix": api_key.prefix,
            "scope": api_key.scope,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return api_key, raw_key


def api_key_revoke(*, crm: Crm, api_key_id: int, actor: CrmUser) -> ApiKey:
    """Revoke one of ``crm``'s keys; the next request with it gets 401. Revoking a
    revoked key changes nothing. Another CRM's key id is a 404."""
    if actor.crm_id != crm.pk:
        raise Http404
    if not actor.is_admin:
        # The view checks this too; a service does not rely on its caller for it.
        raise PermissionDenied(_("Only the owner and administrators manage API keys."))
    api_key = ApiKey.objects.for_crm(crm).filter(pk=api_key_id).first()
    if api_key is None:
        raise Http404
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            crm=crm,
            action=AuditEvent.Action.API_KEY_REVOKED,
            actor_crm_user=actor,
            details={"name": api_key.name, "prefix": api_key.prefix},
        )
    return api_key


def api_key_revoke_created_by(
    *, crm: Crm, created_by: CrmUser, actor: CrmUser, reason: str
) -> int:
    """Revoke every live key ``created_by`` made, one audit record each; the
    number revoked. For the services that deactivate or delete a CRM user, inside
    their transaction: the keys stop working in the same commit."""
    if created_by.crm_id != crm.pk or actor.crm_id != crm.pk:
        raise Http404
    live = list(
        ApiKey.objects.for_crm(crm)
        .select_for_update()
        .filter(created_by=created_by, revoked_at__isnull=True)
        .order_by("pk")
    )
    now = timezone.now()
    for api_key in live:
        api_key.revoked_at = now
        audit_record(
            crm=crm,
            action=AuditEvent.Action.API_KEY_REVOKED,
            actor_crm_user=actor,
            details={
                "name": api_key.name,
                "prefix": api_key.prefix,
                "reason": reason,
                "created_by_id": created_by.pk,
                "created_by_name": created_by.name,
            },
        )
    ApiKey.objects.filter(pk__in=[k.pk for k in live]).update(revoked_at=now)
    return len(live)


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The live key whose raw value this is, with its CRM, or None. Live: not
    revoked, not expired, and its creator still an active user of the CRM. The
    CRM's owner, who acts for the key, comes with it as ``api_key.owner`` (None if
    the CRM has none).

    The lookup is by the keyed hash on a unique index, so nothing compares the
    secret itself character by character and timing says nothing about it."""
    if not raw_key or len(raw_key) > API_KEY_MAX_LENGTH:
        return None
    now = timezone.now()
    api_key = (
        ApiKey.objects.select_related("crm")
        .filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            key_hash=_key_hash(raw_key),
            revoked_at__isnull=True,
            # Revocation on deactivation and deletion covers this; the lookup does
            # not rely on it.
            created_by__isnull=False,
            created_by__is_active=True,
        )
        .first()
    )
    if api_key is None:
        return None
    api_key.owner = (
        CrmUser.objects.for_crm(api_key.crm).filter(role=CrmUser.Role.OWNER).first()
    )
    if api_key.owner is not None:
        api_key.owner.crm = api_key.crm
    stale = now - LAST_USED_PRECISION
    if api_key.last_used_at is None or api_key.last_used_at <= stale:
        # Conditional, so that concurrent requests of the same minute write once.
        ApiKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=api_key.pk
        ).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
