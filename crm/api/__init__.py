"""The REST API, ``/api/v1/``: one CRM per API key.

``authentication`` reads the Bearer key (it names the CRM and acts as its owner),
``permissions`` refuses a CRM that is not active, ``throttling`` limits each key,
``serializers`` parse and render, ``views`` call ``crm/services`` and
``selectors``, ``exceptions`` gives every error one JSON shape, ``schema`` shapes
the OpenAPI document served at ``/api/v1/schema/`` and ``/api/v1/docs/``."""
