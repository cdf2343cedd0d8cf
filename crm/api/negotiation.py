"""Content negotiation: DRF's, with its commonest case answered at once.

Nearly every API client sends no ``Accept`` header or ``*/*`` and no
``?format=``; DRF then parses the header into media types and matches each
renderer against them, only to choose the first renderer with its own media
type. That is answered here directly; anything else goes to DRF."""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request


class ApiContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: list, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        format_param = self.settings.URL_FORMAT_OVERRIDE
        if (
            renderers
            and not format_suffix
            and not (format_param and request.query_params.get(format_param))
            and request.headers.get("accept", "*/*") == "*/*"
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
