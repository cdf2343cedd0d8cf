"""Who is calling: the API key in ``Authorization: Bearer <key>``.

The key alone names the CRM; nothing in the URL or the body can point the request
at another one. A key acts as the CRM's owner, so every service call gets the
owner's CRM user as its ``actor``; a read-only key is held to reading by the
permission check."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from crm.models import ApiKey, CrmUser
from crm.services.apikeys import api_key_authenticate

KEYWORD = "Bearer"


class ApiKeyAuthentication(BaseAuthentication):
    """Sets ``request.crm``; ``request.user`` is the owner's CRM user and
    ``request.auth`` the :class:`~crm.models.ApiKey`."""

    def authenticate(self, request: Request) -> tuple[CrmUser, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header:
            # No credentials at all: the permission check answers 401.
            return None
        if header[0].lower() != KEYWORD.lower().encode() or len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as 'Authorization: Bearer <key>'.")
            )
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        api_key = api_key_authenticate(raw_key=raw_key)
        if api_key is None:
            # Unknown, revoked and expired keys look the same from outside.
            raise exceptions.AuthenticationFailed(
                _("Invalid, revoked or expired API key.")
            )
        owner = api_key.owner
        request.crm = api_key.crm
        # A CRM without an owner cannot happen (provisioning creates one); the
        # permission check refuses it rather than acting as nobody.
        return owner, api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'
