"""The API answers JSON, whatever the client accepts, or a 406 in its error shape."""

import pytest

from tests.api.helpers import assert_error


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_ACCEPT": "*/*"},
        {"HTTP_ACCEPT": "application/json"},
        {"HTTP_ACCEPT": "application/json; indent=4"},
        {"HTTP_ACCEPT": "text/html, */*"},
    ],
)
def test_json_for_what_the_client_accepts(api_a, headers):
    response = api_a.get("/api/v1/crm/", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["id"]


def test_format_json_is_json_and_another_format_is_not_found(api_a):
    response = api_a.get("/api/v1/crm/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert_error(api_a.get("/api/v1/crm/?format=api"), 404, "not_found")


def test_an_unacceptable_type_is_still_a_406(api_a):
    response = api_a.get("/api/v1/contacts/", HTTP_ACCEPT="text/html")
    assert_error(response, 406, "not_acceptable")
