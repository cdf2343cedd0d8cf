"""crm_url() gives exactly what reverse() gives, for every CRM page."""

import pytest
from django.urls import get_resolver, reverse, set_script_prefix

from crm.links import crm_url


def _crm_url_names_with_slug_only() -> list[str]:
    # The slug is the namespace's own prefix: a page with no parameter of its own
    # takes the slug only.
    resolver = get_resolver().namespace_dict["crm"][1]
    names = []
    for name, entries in resolver.reverse_dict.lists():
        if not isinstance(name, str):
            continue
        for bits, _pattern, _defaults, _converters in entries:
            if not any(params for _text, params in bits):
                names.append(name)
    return sorted(set(names))


def test_every_slug_only_page_matches_reverse():
    names = _crm_url_names_with_slug_only()
    assert {"home", "profile", "users", "contact_list"} <= set(names)
    for name in names:
        expected = reverse(f"crm:{name}", kwargs={"slug": "acme-2"})
        assert crm_url(name, slug="acme-2") == expected


def test_a_page_with_a_token_matches_reverse():
    token = "Ab-9_xY"
    assert crm_url("sso_redeem", slug="acme", token=token) == reverse(
        "crm:sso_redeem", kwargs={"slug": "acme", "token": token}
    )


@pytest.fixture
def script_prefix():
    set_script_prefix("/crm-app/")
    yield
    set_script_prefix("/")


def test_the_script_prefix_is_kept(script_prefix):
    assert crm_url("home", slug="acme") == "/crm-app/c/acme/"
    assert crm_url("home", slug="acme") == reverse("crm:home", kwargs={"slug": "acme"})
