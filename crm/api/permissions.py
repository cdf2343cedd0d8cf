"""May this key do this right now: it must be a live key of an active CRM, and a
read-only key may only read."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from crm.models import ApiKey, Crm

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class CrmUnavailable(exceptions.PermissionDenied):
    default_code = "crm_unavailable"


class ReadOnlyKey(exceptions.PermissionDenied):
    default_code = "read_only_key"


def crm_unavailable_message(crm: Crm) -> str:
    """Why a CRM that exists cannot be used, in the words of its status."""
    if crm.status == Crm.Status.PENDING_DELETION and crm.deletion_due_at:
        return _(
            "This CRM is scheduled for deletion on %(when)s UTC; its API is closed."
        ) % {
            "when": crm.deletion_due_at.astimezone(datetime.UTC).strftime(
                "%Y-%m-%d %H:%M"
            )
        }
    if crm.status == Crm.Status.PROVISIONING:
        return _("This CRM is still being created. Try again in a few seconds.")
    if crm.status == Crm.Status.PURGING:
        return _("This CRM is being deleted.")
    return _("This CRM is not active.")


class HasActiveCrm(BasePermission):
    """A key of an active CRM. No key at all becomes a 401 (DRF turns a refusal
    without credentials into ``NotAuthenticated``); a CRM that is not active is a
    403 that says why, and so is a read-only key asking for anything but GET,
    HEAD or OPTIONS. The one default permission of the API holds every rule, so
    no view can leave one out."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.auth, ApiKey):
            return False
        # The key's own CRM, not ``request.crm``: OPTIONS asks this of a copy of
        # the request for each method, and the copy carries the key but not
        # attributes set on the request.
        crm = request.auth.crm
        if not crm.is_active:
            raise CrmUnavailable(crm_unavailable_message(crm))
        if request.user is None or not request.user.is_active:
            raise exceptions.PermissionDenied(
                _("This CRM has no active owner to act for the key.")
            )
        if request.auth.is_read_only and request.method not in SAFE_METHODS:
            raise ReadOnlyKey(
                _("This API key is read-only: it may only read (GET, HEAD, OPTIONS).")
            )
        return True
