"""The Content-Security-Policy: every page sends it with a fresh nonce, and no page or
template carries the inline code (handlers, style attributes, un-nonced blocks) that
the policy would refuse in a browser."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import (
    DEFAULT_PASSWORD,
    CrmGroupFactory,
    PipelineFactory,
    PipelineStatusFactory,
)

# An on*="" handler or a style="" attribute inside a tag.
INLINE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+|style)\s*=", re.S)
# A <script> or <style> element with neither a src nor a nonce.
UNNONCED_BLOCK = re.compile(
    r"<(script|style)\b(?![^>]*\b(?:src|nonce)=)[^>]*>", re.I | re.S
)
# Template comments, which never reach a page.
TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)
NONCE_SOURCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        part.strip().split(" ", 1) for part in header.split(";") if part.strip()
    )


def signed_in_to_crm(client, crm):
    response = client.post(
        reverse("crm:login", kwargs={"slug": crm.slug}),
        {"email": crm.owner.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302


def main_pages(crm) -> list[str]:
    """The pages of a signed-in owner (the signed-out ones: SIGNED_OUT_PAGES)."""
    slug = {"slug": crm.slug}
    return [
        reverse("portal:crm_list"),
        reverse("crm:home", kwargs=slug),
        reverse("crm:contact_list", kwargs=slug),
        reverse("crm:contact_new", kwargs=slug),
        reverse("crm:deal_new", kwargs=slug),
        reverse("crm:deals_board", kwargs=slug),
        reverse("crm:groups", kwargs=slug),
        reverse("crm:custom_fields", kwargs=slug),
        reverse("crm:pipelines", kwargs=slug),
        reverse("crm:api_keys", kwargs=slug),
        reverse("api:docs"),
    ]


@pytest.fixture
def signed_in_client(client, crm_a):
    client.force_login(crm_a.owner)
    signed_in_to_crm(client, crm_a)
    PipelineStatusFactory(pipeline=PipelineFactory(crm=crm_a), color="#0a7f3f")
    CrmGroupFactory(crm=crm_a)
    return client


def every_page(crm) -> list[tuple[Client | None, str]]:
    """(a signed-out client, or None for the signed-in one; the page's address)"""
    signed_out = [
        reverse("account_signup"),
        reverse("account_login"),
        reverse("find_my_crms"),
        reverse("crm:login", kwargs={"slug": crm.slug}),
        reverse("api:docs"),
    ]
    return [(Client(), url) for url in signed_out] + [
        (None, url) for url in main_pages(crm)
    ]


def test_every_main_page_sends_the_policy_with_its_own_fresh_nonce(
    signed_in_client, crm_a
):
    seen = set()
    for anonymous, url in every_page(crm_a):
        for _ in range(2):
            response = (anonymous or signed_in_client).get(url)
            assert response.status_code == 200, url
            policy = directives(response)
            assert policy["default-src"] == "'self'", url
            assert policy["img-src"] == "'self' data:", url
            assert policy["connect-src"] == "'self'", url
            assert policy["frame-ancestors"] == "'none'", url
            assert policy["form-action"] == "'self'", url
            assert policy["base-uri"] == "'self'", url
            assert policy["object-src"] == "'none'", url
            assert "'unsafe-inline'" not in response["Content-Security-Policy"], url
            assert "'unsafe-eval'" not in response["Content-Security-Policy"], url
            (nonce,) = NONCE_SOURCE.findall(policy["script-src"])
            assert policy["script-src"] == f"'self' 'nonce-{nonce}'", url
            assert policy["style-src"] == f"'self' 'nonce-{nonce}'", url
            # The page's own nonced elements carry this response's nonce.
            assert f'nonce="{nonce}"' in response.content.decode(), url
            assert nonce not in seen, url
            seen.add(nonce)


def test_no_page_has_inline_code_the_policy_refuses(signed_in_client, crm_a):
    for anonymous, url in every_page(crm_a):
        response = (anonymous or signed_in_client).get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_ATTRIBUTE.search(html), (url, INLINE_ATTRIBUTE.search(html))
        assert not UNNONCED_BLOCK.search(html), (url, UNNONCED_BLOCK.search(html))


def test_no_template_has_inline_handlers_or_style_attributes():
    # E-mails are not pages: a mail client, not the policy, decides about them.
    root = Path(settings.BASE_DIR) / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        if "emails" in path.relative_to(root).parts:
            continue
        text = TEMPLATE_COMMENT.sub("", path.read_text())
        for match in INLINE_ATTRIBUTE.finditer(text):
            offenders.append(f"{path.relative_to(root)}: {match.group(0)[:80]}")
        for match in UNNONCED_BLOCK.finditer(text):
            offenders.append(f"{path.relative_to(root)}: {match.group(0)[:80]}")
    assert offenders == []


def test_a_confirmation_is_asked_by_the_static_script(signed_in_client, crm_a):
    html = signed_in_client.get(
        reverse("crm:groups", kwargs={"slug": crm_a.slug})
    ).content.decode()
    assert 'data-confirm="Delete this group?"' in html
    assert "/static/js/confirm.js" in html


def test_a_status_colour_is_data_for_the_static_script(signed_in_client, crm_a):
    html = signed_in_client.get(
        reverse("crm:pipelines", kwargs={"slug": crm_a.slug})
    ).content.decode()
    assert 'data-color="#0a7f3f"' in html
    assert "/static/js/colors.js" in html


def test_the_api_docs_inline_blocks_carry_the_nonce(client, db):
    response = client.get(reverse("api:docs"))
    (nonce,) = NONCE_SOURCE.findall(directives(response)["script-src"])
    html = response.content.decode()
    assert html.count(f'<script nonce="{nonce}">') == 1
    assert html.count(f'<style nonce="{nonce}">') == 1
    assert "SwaggerUIBundle" in html
