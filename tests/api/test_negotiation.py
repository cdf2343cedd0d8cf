"""The API's content negotiation chooses exactly what DRF's own would."""

import pytest
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from crm.api.negotiation import ApiContentNegotiation
from tests.api.helpers import assert_error


def _choice(negotiation, accept: str | None, query: str, renderers):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/v1/crm/{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except exceptions.NotAcceptable:
        return "406"
    return type(renderer), media_type


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json; indent=4", "text/html",
     "application/*", "*/*;q=0.8", "text/html, */*", ""],
)  # fmt: skip
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?format="])
@pytest.mark.parametrize(
    "renderers",
    [[JSONRenderer()], [JSONRenderer(), BrowsableAPIRenderer()]],
    ids=["json", "json+api"],
)
def test_the_same_choice_as_drf(accept, query, renderers):
    try:
        ours = _choice(ApiContentNegotiation(), accept, query, renderers)
    except Exception as error:  # e.g. Http404 for an unknown ?format=
        ours = type(error)
    try:
        drf = _choice(DefaultContentNegotiation(), accept, query, renderers)
    except Exception as error:
        drf = type(error)
    assert ours == drf


def test_an_unacceptable_type_is_still_a_406(api_a):
    response = api_a.get("/api/v1/contacts/", HTTP_ACCEPT="text/html")
    assert_error(response, 406, "not_acceptable")
