"""A real API key for requests sent straight to the WSGI application (schemathesis
runs each operation in-process on the test database)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from crm.services.apikeys import api_key_create


@contextmanager
def api_key_header_for_wsgi(crm, created_by) -> Iterator[dict[str, str]]:
    """``Authorization`` with a new key of ``crm``. The WSGI handler closes "old"
    connections around each request, which would end the test's transaction;
    Django's test client detaches it likewise, and so does this, until exit."""
    _api_key, raw = api_key_create(crm=crm, name="Schemathesis", created_by=created_by)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {raw}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
