"""PostgreSQL stopped as a crash stops it, under a site people and integrations are
using: 503 with Retry-After while it is away, no acknowledged write lost, and the
site back by itself once it returns."""

import threading
import time

import pytest
import requests

from tests.faults.conftest import restored, signed_in
from tests.faults.services import sql
from tests.servers import wait_for

pytestmark = pytest.mark.faults


class Writer(threading.Thread):
    """An integration creating contacts over the API, one after another, for as
    long as the test runs: it remembers what the API acknowledged (201)."""

    def __init__(self, url: str, key: str):
        super().__init__(daemon=True)
        self.url, self.stopping = url, threading.Event()
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {key}"
        self.acknowledged: list[str] = []
        self.answers: list[int] = []

    def run(self) -> None:
        number = 0
        while not self.stopping.is_set():
            number += 1
            name = f"Steady {number}"
            try:
                response = self.api.post(self.url, json={"name": name}, timeout=10)
            except requests.RequestException:
                self.answers.append(0)
                continue
            self.answers.append(response.status_code)
            if response.status_code == 201:
                self.acknowledged.append(name)
            elif response.status_code == 503:
                assert response.headers["Retry-After"] == "10"
            time.sleep(0.05)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


def test_a_database_outage_answers_503_loses_nothing_and_heals_itself(
    web, seeded, postgres_server
):
    account, crm_user = signed_in(web, seeded)
    crm_home = f"{web.url}/c/{seeded['crm']}/"
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {seeded['api_key']}"
    contacts = web.url + "/api/v1/contacts/"

    writer = Writer(contacts, seeded["api_key"])
    writer.start()
    try:
        wait_for(lambda: len(writer.acknowledged) >= 5, 30, "writes before")
        with restored(postgres_server):
            postgres_server.stop()
            before = len(writer.acknowledged)

            # A page: a 503 a person understands, with when to come back.
            for session, url in ((account, web.url + "/portal/"), (crm_user, crm_home)):
                page = session.get(url, allow_redirects=False, timeout=10)
                assert page.status_code == 503, (url, page.status_code)
                assert page.headers["Retry-After"] == "10"
                assert page.headers["Content-Type"].startswith("text/html")
                assert "Back in a moment" in page.text
                assert "Please try again in 10 seconds." in page.text
            # The API: its own JSON error shape.
            answer = api.get(contacts, timeout=10)
            assert answer.status_code == 503
            assert answer.headers["Retry-After"] == "10"
            assert answer.json()["error"]["code"] == "unavailable"
            wait_for(lambda: writer.answers[-3:] == [503] * 3, 10, "writes refused")
            assert len(writer.acknowledged) <= before + 1  # one already under way

            postgres_server.start()

        # Back by itself: no restart of the site, everyone still signed in.
        wait_for(
            lambda: account.get(web.url + "/portal/", timeout=10).status_code == 200,
            15,
            "the portal answering again",
        )
        assert crm_user.get(crm_home, allow_redirects=False, timeout=10).ok
        assert api.get(contacts, timeout=10).status_code == 200
        after = len(writer.acknowledged)
        wait_for(lambda: len(writer.acknowledged) >= after + 5, 30, "writes after")
    finally:
        writer.stop()

    # Every write acknowledged, before the outage and after it, is there; no
    # request ever failed any other way than a 503.
    assert set(writer.answers) <= {201, 503}, sorted(set(writer.answers))
    stored = {
        name
        for (name,) in sql(
            postgres_server.url(),
            "select name from crm_contact where name like 'Steady %%'",
        )
    }
    assert set(writer.acknowledged) <= stored
    assert len(writer.acknowledged) == len(set(writer.acknowledged))
