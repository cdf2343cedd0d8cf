"""JSON request bodies, bounded.

DRF's parser reads the whole stream, and Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
only guards ``request.body``, so without a bound a client could make a worker hold
any amount of JSON in memory."""

from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from crm.api.exceptions import PayloadTooLarge


class BoundedJSONParser(JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            # DRF's json refuses NaN and Infinity, which are not JSON either.
            return json.loads(codecs.decode(raw, encoding))
        except (ValueError, LookupError) as error:
            raise ParseError(
                _("The body is not valid JSON: %(error)s") % {"error": error}
            ) from None
        except RecursionError:
            # Thousands of nested brackets: refused, never a 500.
            raise ParseError(_("The body is nested too deeply.")) from None
