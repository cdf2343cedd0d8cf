"""What the API tests share besides fixtures."""

from rest_framework.test import APIClient


def api_client(raw_key: str | None = None) -> APIClient:
    """A client that sends ``raw_key`` as ``Authorization: Bearer``."""
    client = APIClient()
    if raw_key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def assert_error(response, status: int, code: str) -> dict:
    """The response is the API's one error shape, with this status and code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]
