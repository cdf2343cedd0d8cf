"""JSON request bodies.

DRF reads a JSON body through ``request.body``, so Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` bounds it (past it: 413, see
``crm.api.exceptions``). This parser adds what DRF's does not: a body nested
thousands of levels deep is a 400, not a ``RecursionError`` and a 500."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The body is nested too deeply.")) from None
