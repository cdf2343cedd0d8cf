"""One throwaway Redis and PostgreSQL for all fault tests, migrated and seeded once,
and the project served by gunicorn against them. A test that stops a service starts
it again before it ends (``restored``), so the next test finds them all up."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests

from tests.browser_forms import form_data
from tests.faults.services import WebApp, Worker, project_env, run_python
from tests.servers import PostgresServer, RedisServer


@pytest.fixture(scope="session")
def fault_folder():
    folder = Path(tempfile.mkdtemp(prefix="faults-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    yield folder
    if not os.environ.get("FAULTS_KEEP"):  # logs kept for a look after a failure
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(fault_folder):
    server = RedisServer(fault_folder / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server(fault_folder):
    server = PostgresServer(fault_folder / "pg")
    server.init()
    server.start()
    server.createdb()
    yield server
    # Already stopped, when a failed test could not start it again.
    with suppress(RuntimeError):
        server.stop(mode="fast")


@pytest.fixture(scope="session")
def outbox_folder(fault_folder):
    folder = fault_folder / "mail"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def media_folder(fault_folder):
    folder = fault_folder / "media"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def app_env(redis_server, postgres_server, outbox_folder, media_folder):
    return project_env(
        DATABASE_URL=postgres_server.url(),
        REDIS_URL=redis_server.url(),
        CACHE_KEY_PREFIX="faults",
        EMAIL_URL=f"filemail://{outbox_folder}",
        MEDIA_ROOT=str(media_folder),
    )


@pytest.fixture(scope="session")
def seeded(app_env):
    run_python(app_env, "manage.py", "migrate", "--noinput")
    return json.loads(run_python(app_env, "-m", "tests.faults.seed"))


@pytest.fixture(scope="session")
def web(app_env, seeded, fault_folder):
    app = WebApp(env=app_env, log=fault_folder / "web.log")
    app.start()
    yield app
    app.stop()


@pytest.fixture
def worker_for(app_env, fault_folder):
    """``worker_for(**env)`` starts a worker; every one is stopped afterwards."""
    started = []

    def start(**extra: str) -> Worker:
        worker = Worker(
            env={**app_env, **extra}, log=fault_folder / f"worker-{len(started)}.log"
        )
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.stop()


@contextmanager
def restored(server):
    """Whatever happens inside, the service is running again afterwards."""
    try:
        yield server
    finally:
        # pg_ctl refuses to start a running server: nothing to restore then.
        with suppress(RuntimeError):
            server.start()


def form_submit(session: requests.Session, url: str, having: str, **changes):
    """GET the page, then POST what its form with a field ``having`` offers, with
    ``changes`` typed in (``tests.browser_forms.form_data``)."""
    page = session.get(url, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    return session.post(
        url,
        data=form_data(page.text, having, **changes),
        headers={"Referer": url},
        allow_redirects=False,
        timeout=15,
    )


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_post(session: requests.Session, url: str, data: dict, **kwargs):
    """GET the form's page, then POST ``data`` with the page's CSRF token."""
    page = session.get(url, timeout=10)
    token = CSRF.search(page.text)
    assert token, f"no form at {url}: {page.status_code}"
    return session.post(
        url,
        data={"csrfmiddlewaretoken": token.group(1), **data},
        headers={"Referer": url},
        allow_redirects=False,
        timeout=15,
        **kwargs,
    )


def signed_in(web, seeded) -> tuple[requests.Session, requests.Session]:
    """The seeded Account signed in to the portal, and the seeded CRM user signed
    in to the CRM, each through its login form."""
    account = requests.Session()
    response = form_post(
        account,
        web.url + "/accounts/login/",
        {"login": seeded["account"], "password": seeded["password"]},
    )
    assert response.status_code == 302, response.text[:2000]
    crm_user = requests.Session()
    response = form_post(
        crm_user,
        f"{web.url}/c/{seeded['crm']}/login/",
        {"email": seeded["member"], "password": seeded["password"]},
    )
    assert response.status_code == 302, response.text[:2000]
    return account, crm_user
