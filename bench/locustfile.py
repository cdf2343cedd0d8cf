"""Who uses the site, for `make loadtest` (bench/loadtest.py starts it).

- **Owners** sign in to the portal, look at their CRMs, enter one (Enter: a
  single-use token redeemed by the CRM), and work there: the home, lists, cards,
  the deals board, a new contact and an edit through the pages' own forms.
- **Integrations** write over the API with their CRM's key: create contacts, read
  them back a page at a time, rename one.

Every request goes to ``$LOADTEST_OUT/requests-<pid>.jsonl`` (its start, duration,
name and error), and every write the site acknowledged (201 from the API, a form
that landed on the new card) to ``acknowledged-<pid>.jsonl``, for the driver to
count errors by time and to check afterwards that each acknowledged contact exists.

Seed (``$LOADTEST_SEED``, JSON): ``owners`` [{email, password, crms: [{id, slug,
contacts: [ids]}]}], ``keys`` [{crm_id, key, contacts: [ids]}].
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser_forms import form_data

SEED = json.loads(Path(os.environ["LOADTEST_SEED"]).read_text())
OUT = Path(os.environ["LOADTEST_OUT"])
OUT.mkdir(parents=True, exist_ok=True)
_requests_log = (OUT / f"requests-{os.getpid()}.jsonl").open("a", buffering=1)
_acknowledged = (OUT / f"acknowledged-{os.getpid()}.jsonl").open("a", buffering=1)
_owners = itertools.cycle(SEED["owners"])
# Each simulated person or integration comes from an address of its own, as the
# load balancer in front reports it (the run sets ALLAUTH_TRUSTED_PROXY_COUNT=1):
# the per-address limits (30 sign-ins a minute) see people, not this one machine.
_addresses = (
    f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1)
)
_keys = itertools.cycle(SEED["keys"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CARD = re.compile(r"/c/[^/]+/contacts/(\d+)/$")


@events.request.add_listener
def _log_request(
    request_type, name, response_time, exception, start_time=None, **_kwargs
):
    line = {
        "t": start_time,
        "d": (response_time or 0) / 1000,
        "name": f"{request_type} {name}",
        "error": None if exception is None else str(exception)[:300],
    }
    _requests_log.write(json.dumps(line) + "\n")


def _acknowledge(crm_id: int, contact_id: int, name: str, via: str) -> None:
    line = {"crm": crm_id, "id": contact_id, "name": name, "via": via}
    _acknowledged.write(json.dumps(line) + "\n")


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


class Owner(HttpUser):
    """An owner in the portal and inside their CRMs, through the pages."""

    weight = 3
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.owner = next(_owners)
        self.client.headers["X-Forwarded-For"] = next(_addresses)
        self.crm = None
        self.signed_in = False
        self.sign_in()

    def _page(self, url: str, name: str, expect: str | None = None):
        """GET a page; a failure unless it answers 200 at a page of ``expect``."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} at {response.url}")
            elif expect and expect not in response.url:
                self._signed_out(response)
                response.failure(f"landed on {response.url}, not {expect}")
            return response

    def _signed_out(self, response) -> None:
        """Sent to a sign-in page: as a person would, sign in (or enter) again
        next time. The request that found it counts as an error."""
        if "/accounts/login/" in response.url:
            self.signed_in, self.crm = False, None
        elif "/login/" in response.url:
            self.crm = None

    def sign_in(self) -> None:
        page = self._page("/accounts/login/", "portal: sign-in page")
        if page.status_code != 200:
            return
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": _csrf(page.text),
                "login": self.owner["email"],
                "password": self.owner["password"],
            },
            headers={"Referer": page.url},
            name="portal: sign in",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and "/portal/" in response.url:
                self.signed_in = True
                self.enter()
            else:
                response.failure(f"{response.status_code} at {response.url}")

    def enter(self) -> None:
        listed = self._page("/portal/", "portal: my CRMs", expect="/portal/")
        if listed.status_code != 200:
            return
        crm = random.choice(self.owner["crms"])
        with self.client.post(
            f"/portal/crms/{crm['id']}/enter/",
            data={"csrfmiddlewaretoken": _csrf(listed.text)},
            headers={"Referer": listed.url},
            name="portal: Enter",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and f"/c/{crm['slug']}/" in response.url:
                self.crm = crm
            else:
                self._signed_out(response)
                response.failure(f"{response.status_code} at {response.url}")

    def _in_crm(self) -> bool:
        if not self.signed_in:
            self.sign_in()
        elif self.crm is None:
            self.enter()
        return self.crm is not None

    @task(2)
    def switch_crm(self) -> None:
        if self.signed_in:
            self.enter()
        else:
            self.sign_in()

    @task(2)
    def home(self) -> None:
        if self._in_crm():
            self._page(
                f"/c/{self.crm['slug']}/", "crm: home", f"/c/{self.crm['slug']}/"
            )

    @task(4)
    def contact_list(self) -> None:
        if self._in_crm():
            slug = self.crm["slug"]
            self._page(f"/c/{slug}/contacts/", "crm: contacts", "/contacts/")

    @task(2)
    def contact_search(self) -> None:
        if self._in_crm():
            slug = self.crm["slug"]
            word = random.choice(["Seeded", "API", "Form", "1", "2"])
            self._page(
                f"/c/{slug}/contacts/?q={word}", "crm: contacts ?q=", "/contacts/"
            )

    @task(4)
    def contact_card(self) -> None:
        if self._in_crm():
            slug, contact = self.crm["slug"], random.choice(self.crm["contacts"])
            self._page(f"/c/{slug}/contacts/{contact}/", "crm: contact card", slug)

    @task(1)
    def deals_board(self) -> None:
        if self._in_crm():
            self._page(f"/c/{self.crm['slug']}/deals/", "crm: deals board", "/deals/")

    @task(2)
    def contact_create(self) -> None:
        if not self._in_crm():
            return
        crm, url = self.crm, f"/c/{self.crm['slug']}/contacts/new/"
        page = self._page(url, "crm: new contact form", "/contacts/new/")
        if page.status_code != 200:
            return
        name = f"Form {uuid.uuid4().hex[:12]}"
        with self.client.post(
            url,
            data=form_data(page.text, "name", name=name),
            headers={"Referer": page.url},
            name="crm: new contact",
            catch_response=True,
        ) as response:
            found = CARD.search(response.url)
            if response.status_code == 200 and found:
                _acknowledge(crm["id"], int(found.group(1)), name, "form")
            else:
                self._signed_out(response)
                response.failure(f"{response.status_code} at {response.url}")

    @task(1)
    def contact_edit(self) -> None:
        if not self._in_crm():
            return
        slug, contact = self.crm["slug"], random.choice(self.crm["contacts"])
        url = f"/c/{slug}/contacts/{contact}/edit/"
        page = self._page(url, "crm: edit contact form", "/edit/")
        if page.status_code != 200:
            return
        with self.client.post(
            url,
            data=form_data(page.text, "name", name=f"Seeded {uuid.uuid4().hex[:8]}"),
            headers={"Referer": page.url},
            name="crm: edit contact",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or not CARD.search(response.url):
                self._signed_out(response)
                response.failure(f"{response.status_code} at {response.url}")


class Integration(HttpUser):
    """A CRM's integration writing over the API with its key."""

    weight = 2
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.key = next(_keys)
        self.client.headers["X-Forwarded-For"] = next(_addresses)
        self.client.headers["Authorization"] = f"Bearer {self.key['key']}"
        self.made: list[int] = []

    @task(3)
    def create(self) -> None:
        name = f"API {uuid.uuid4().hex[:12]}"
        with self.client.post(
            "/api/v1/contacts/",
            json={"name": name},
            name="api: create contact",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                contact_id = response.json()["id"]
                self.made.append(contact_id)
                _acknowledge(self.key["crm_id"], contact_id, name, "api")
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(2)
    def list_pages(self) -> None:
        """The first page of contacts, then the next one the answer links to."""
        url = "/api/v1/contacts/?page_size=25"
        for name in ("api: contacts page", "api: contacts next page"):
            with self.client.get(url, name=name, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    return
                url = response.json().get("next")
            if not url:
                return

    @task(1)
    def rename(self) -> None:
        contact = random.choice(self.made or self.key["contacts"])
        with self.client.patch(
            f"/api/v1/contacts/{contact}/",
            json={"name": f"Renamed {uuid.uuid4().hex[:8]}"},
            name="api: rename contact",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
