"""amoCRM's (Kommo's) REST API v4 at ``/api/v4/``, so that integrations written for
amoCRM work against a CRM here by changing the base URL and the token.

The same keys, rights, tenancy and rate limits as ``/api/v1/`` (``crm.api``'s
authentication, permission and throttle); only the shapes differ. ``ids`` holds
the numbers amoCRM fixes (Won 142, Lost 143, the PHONE and EMAIL fields), ``params``
reads PHP-style query strings, ``problems`` answers errors as
``application/problem+json``, ``renderers`` and ``pagination`` give HAL, ``shapes``
turns our rows into amoCRM's entities and ``bodies`` amoCRM's bodies into the
services' arguments, ``idempotency`` keeps a retried create from making a second
record, ``views`` call the same services as every other door, and ``schema`` is the
API's own OpenAPI document (``/api/v4/schema/``, ``/api/v4/docs/``)."""
