"""Instructions the web process executes per request of the Enter benchmark, counted
by valgrind's callgrind: a figure that does not drift with the machine's speed, so
that a change of a few per cent can be told from noise (the requests-per-second
ratios of ``bench_enter.py`` move by ±10 % from run to run on a shared machine).

The requests go through the production WSGI application in-process, as gunicorn
hands them over (CSRF checks on, sessions in Redis, PostgreSQL with the production
settings), without the server and the network. Each operation is counted as
(instructions of a run doing ``N`` operations after a warm-up - those of a run doing
none) / ``N``. Needs ``valgrind``; not part of ``make bench``.

Run: .venv/bin/python bench/instructions.py [baseline|enter|enter_redeem|home|chain]
(``enter_redeem``: the Enter POST and the landing on the token's address; the
landing alone is that less ``enter``.)
``BENCH_COUNT`` operations each, 20 by default; a run takes a minute or two.
Compare runs of the same operations in the same order: an operation counted first
counts less than after others (see BENCHMARKS.md, third session).
"""

from __future__ import annotations

import gc
import io
import os
import re
import shutil
import subprocess
import sys
from http.cookies import SimpleCookie

from _common import Bench, account_create, crms_create, header

OPERATIONS = ("baseline", "enter", "enter_redeem", "home", "chain")
WARM_UP = 10
COUNT = int(os.environ.get("BENCH_COUNT", "20"))
OWNER_EMAIL = "instructions@bench.example"


class WsgiClient:
    """One browser's cookies, and requests passed straight to the WSGI app."""

    def __init__(self, app, cookies: dict[str, str]) -> None:
        self.app = app
        self.cookies = dict(cookies)

    def request(self, method: str, path: str, headers: dict | None = None):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": "0",
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **(headers or {}),
        }
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"] = int(status[:3])
            answer["headers"] = response_headers

        body = b"".join(self.app(environ, start_response))
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[key] = morsel.value
                    else:
                        self.cookies.pop(key, None)
        location = dict(answer["headers"]).get("Location", "")
        return answer["status"], location, body


def operations(client: WsgiClient, crm) -> dict:
    home_path = f"/c/{crm.slug}/"

    def baseline():
        status, _location, body = client.request("GET", "/bench/baseline/")
        assert status == 200 and body == b"ok", status

    def enter() -> str:
        status, location, _body = client.request(
            "POST",
            f"/portal/crms/{crm.pk}/enter/",
            {
                "HTTP_X_CSRFTOKEN": client.cookies["csrftoken"],
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
            },
        )
        assert status == 302, status
        return location

    def enter_redeem():
        status, location, _body = client.request("GET", enter())
        assert status == 302 and location == home_path, (status, location)

    def home():
        status, _location, body = client.request("GET", home_path)
        assert status == 200 and b"You are signed in as" in body, status

    def chain():
        enter_redeem()
        home()

    return {
        "baseline": baseline,
        "enter": enter,
        "enter_redeem": enter_redeem,
        "home": home,
        "chain": chain,
    }


def child(operation: str, count: int) -> None:
    """Under valgrind: the operation ``WARM_UP`` times, then ``count`` times."""
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.test import Client

    from accounts.models import Account
    from crm.models import Crm

    account = Account.objects.get(email=OWNER_EMAIL)
    crm = Crm.objects.get(owner=account)
    login = Client()
    login.force_login(account)
    session = login.cookies["sessionid"].value
    client = WsgiClient(get_wsgi_application(), {"sessionid": session})
    status, _location, _body = client.request("GET", "/portal/")  # the CSRF cookie
    assert status == 200 and "csrftoken" in client.cookies, status
    run = operations(client, crm)
    run["chain"]()  # signed in to the CRM, as after the first Enter
    for _ in range(WARM_UP):
        run[operation]()
    # No cyclic garbage collection while counting (it is 1-2 % of a request's
    # work): a full collection of everything Django loaded costs tens of millions
    # of instructions, and it would fall inside one run and not the other.
    gc.collect()
    gc.disable()
    for _ in range(count):
        run[operation]()


def instructions(operation: str, count: int, out_dir: str) -> int:
    out_file = os.path.join(out_dir, f"callgrind.{operation}.{count}")
    # Under valgrind a run lasts minutes: with the production maximum age of a
    # database connection (a minute) it would be closed and opened again inside
    # one run and not the other. A real worker opens one per thousands of requests.
    # A fixed hash seed: with a random one, dicts and sets lay out differently in
    # each process, and the counts of the same code differ by up to 8 %.
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": "3600", "PYTHONHASHSEED": "0"}
    subprocess.run(
        [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
            sys.executable, __file__, "--child", operation, str(count),
        ],
        check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with open(out_file) as counts:
        for line in counts:
            if match := re.match(r"(?:summary|totals): (\d+)", line):
                return int(match.group(1))
    raise RuntimeError(f"no instruction total in {out_file}")


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
        return 0
    chosen = sys.argv[1:] or list(OPERATIONS)
    unknown = set(chosen) - set(OPERATIONS)
    if unknown or not shutil.which("valgrind"):
        print(f"usage: {sys.argv[0]} [{'|'.join(OPERATIONS)} ...]; needs valgrind")
        return 2
    header(
        "Instructions per request of the Enter chain (callgrind)",
        ".venv/bin/python bench/instructions.py " + " ".join(chosen),
    )
    with Bench("instructions") as bench:
        owner = account_create(OWNER_EMAIL)
        crms_create(owner=owner, count=1, name_prefix="Instructions")
        for operation in chosen:
            none = instructions(operation, 0, str(bench.tmp))
            some = instructions(operation, COUNT, str(bench.tmp))
            per_operation = (some - none) / COUNT / 1e6
            print(f"{operation:<9} {per_operation:7.2f} M instructions per operation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
