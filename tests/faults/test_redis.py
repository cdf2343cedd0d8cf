"""Redis, which holds the cache (sessions' copies, rate-limit counters) and the
broker, stopped and started again under a running site."""

import time

import pytest
import requests

from tests.faults.conftest import form_post, restored, signed_in

pytestmark = pytest.mark.faults


def _still_signed_in(web, seeded, account, crm_user) -> None:
    crms = account.get(web.url + "/portal/", allow_redirects=False, timeout=10)
    assert crms.status_code == 200, (crms.status_code, crms.headers.get("Location"))
    assert "Faults" in crms.text
    home = crm_user.get(
        f"{web.url}/c/{seeded['crm']}/", allow_redirects=False, timeout=10
    )
    assert home.status_code == 200, (home.status_code, home.headers.get("Location"))
    assert "Sign out" in home.text


def test_a_redis_restart_signs_no_one_out_and_its_outage_breaks_no_page(
    web, seeded, redis_server
):
    account, crm_user = signed_in(web, seeded)
    _still_signed_in(web, seeded, account, crm_user)

    with restored(redis_server):
        redis_server.stop()

        # Those signed in browse on: their sessions come from the database.
        _still_signed_in(web, seeded, account, crm_user)
        assert requests.get(web.url + "/accounts/login/", timeout=10).ok
        # Asking for a password reset fails open (RATE_LIMITS_IF_CACHE_DOWN).
        reset = form_post(
            requests.Session(),
            web.url + "/accounts/password/reset/",
            {"email": seeded["account"]},
        )
        assert reset.status_code == 302, reset.text[:2000]
        forgot = form_post(
            requests.Session(),
            f"{web.url}/c/{seeded['crm']}/login/forgot/",
            {"email": seeded["member"]},
        )
        assert forgot.status_code == 302, forgot.text[:2000]
        # Password guesses fail closed, with a page that says why.
        guess = form_post(
            requests.Session(),
            f"{web.url}/c/{seeded['crm']}/login/",
            {"email": seeded["member"], "password": "a wrong guess"},
        )
        assert guess.status_code == 503
        assert guess.headers["Retry-After"] == "10"
        assert "this step is paused to keep accounts safe" in guess.text

        redis_server.start()

    # Back, and empty: the sessions are still there, and signing in works again
    # once the site has tried Redis again (after REDIS_RETRY_AFTER, a second).
    _still_signed_in(web, seeded, account, crm_user)
    time.sleep(1.2)
    signed_in(web, seeded)
