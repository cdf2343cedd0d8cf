"""HAL out, whatever the client's ``Accept`` says (amoCRM answers so, and clients
send ``Accept: application/json``); errors set their own problem type."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer

from crm.api.parsers import SafeJSONParser

HAL_CONTENT_TYPE = "application/hal+json"


class HalJSONRenderer(JSONRenderer):
    media_type = HAL_CONTENT_TYPE
    format = "json"
    charset = None


class AlwaysHal(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class HalJSONParser(SafeJSONParser):
    """A body labelled the way amoCRM labels its own answers is JSON too."""

    media_type = "application/hal+json"
