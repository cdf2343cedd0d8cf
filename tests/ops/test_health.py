"""/healthz says the process is alive without asking anything else; /readyz asks
the database, the cache, the broker and the storage, and answers 503 naming the
one that failed. Both answer a load balancer probing by address over HTTP."""

from __future__ import annotations

import pytest
from django.core.files.storage import storages

from config.celery import app as celery_app

# Nothing listens on port 1 of the loopback: a dependency that is down.
DOWN = "127.0.0.1:1"


# No django_db mark: pytest-django makes any database access here an error.
def test_healthz_answers_without_the_database_or_the_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{DOWN}/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "Database(alias='default')": "OK",
        "Cache(alias='default')": "OK",
        "Broker()": "OK",
        "Storage(alias='default')": "OK",
    }


@pytest.mark.django_db
def test_probes_answer_any_host_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["crm.example"]
    settings.SECURE_SSL_REDIRECT = True
    # A load balancer asks each process by its own address.
    assert client.get("/portal/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_cache_when_it_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{DOWN}/0",
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["Cache(alias='default')"] != "OK"
    assert body["Database(alias='default')"] == "OK"


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_down(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://{DOWN}/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["Broker()"] == "Unavailable: The broker does not answer"


@pytest.mark.django_db
def test_readyz_is_503_when_the_storage_is_down(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "files",
                "endpoint_url": f"http://{DOWN}",
                "access_key": "x",
                "secret_key": "y",
                "region_name": "us-east-1",
            },
        },
    }
    storages._storages.pop("default", None)
    try:
        response = client.get("/readyz")
    finally:
        storages._storages.pop("default", None)
    assert response.status_code == 503
    assert response.json()["Storage(alias='default')"] != "OK"
