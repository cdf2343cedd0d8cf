"""Languages: the switcher, the language remembered for the Account and for each CRM
user separately, emails in their recipient's language, plural forms, dates and
numbers per language, and catalogues that are complete."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import formats, translation

from crm.models import CrmUser, Deal
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountFactory,
    CrmFactory,
    DealFactory,
    OwnerCrmUserFactory,
)

BASE_DIR = Path(settings.BASE_DIR)
# Every language the product offers besides English, the source.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang> on the page"
    return match.group(1)


@pytest.fixture
def owner(db):
    account = AccountFactory(email="owner@example.com")
    crm = CrmFactory(owner=account, name="Alpha Traders", slug="alpha")
    OwnerCrmUserFactory(crm=crm)
    return account


@pytest.fixture
def owner_crm_user(owner) -> CrmUser:
    return CrmUser.objects.get(account=owner)


def crm_login(client: Client, crm_user: CrmUser) -> None:
    response = client.post(
        reverse("crm:login", kwargs={"slug": crm_user.crm.slug}),
        {"email": crm_user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302


def forget_cookie(client: Client) -> None:
    """What a new browser (or a cleared cookie) looks like: only the Account's or
    the CRM user's stored choice can then decide the language."""
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)


# --- The switcher ---------------------------------------------------------------------


def test_switcher_is_in_the_portal_header_with_a_label_tied_to_its_select(
    client, owner
):
    client.force_login(owner)
    page = client.get(reverse("portal:crm_list")).content.decode()
    header = page.split("<header", 1)[1].split("</header>", 1)[0]
    assert f'action="{reverse("set_language")}"' in header
    assert '<label for="language-select">' in header
    assert '<select id="language-select" name="language"' in header
    # Each language is named in itself, so anyone can find their own.
    for name in ("English", "Українська", "Русский"):
        assert name in header
    assert 'type="submit"' in header  # works without JavaScript


def test_switcher_in_a_crm_posts_to_that_crm(client, owner_crm_user):
    crm_login(client, owner_crm_user)
    page = client.get(reverse("crm:home", kwargs={"slug": "alpha"})).content.decode()
    header = page.split("<header", 1)[1].split("</header>", 1)[0]
    assert 'action="/c/alpha/language/"' in header
    assert '<label for="language-select">' in header


def test_anonymous_visitor_follows_the_cookie_then_accept_language(client, db):
    login_url = reverse("account_login")
    assert html_lang(client.get(login_url)) == "en"
    assert html_lang(client.get(login_url, HTTP_ACCEPT_LANGUAGE="ru,en;q=0.5")) == "ru"
    response = client.post(
        reverse("set_language"), {"language": "uk", "next": login_url}
    )
    assert response.status_code == 302
    assert response.url == login_url
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"
    assert html_lang(client.get(login_url, HTTP_ACCEPT_LANGUAGE="ru")) == "uk"


def test_portal_switch_is_remembered_for_the_account_only(
    client, owner, owner_crm_user
):
    client.force_login(owner)
    response = client.post(
        reverse("set_language"), {"language": "uk", "next": "/portal/"}
    )
    assert response.status_code == 302
    assert response.url == "/portal/"
    owner.refresh_from_db()
    owner_crm_user.refresh_from_db()
    assert owner.language == "uk"
    assert owner_crm_user.language == ""  # the CRM user's choice is their own

    forget_cookie(client)
    page = client.get(reverse("portal:crm_list"), HTTP_ACCEPT_LANGUAGE="ru")
    assert html_lang(page) == "uk"
    assert page["Content-Language"] == "uk"


def test_account_language_applies_at_the_next_sign_in(owner):
    owner.language = "ru"
    owner.save(update_fields=["language"])
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = browser.post(
        reverse("account_login"),
        {"login": owner.email, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert html_lang(browser.get(reverse("portal:crm_list"))) == "ru"


def test_crm_switch_is_remembered_for_that_crm_user_only(client, owner, owner_crm_user):
    owner.language = "en"
    owner.save(update_fields=["language"])
    client.force_login(owner)
    crm_login(client, owner_crm_user)
    response = client.post(
        reverse("crm:set_language", kwargs={"slug": "alpha"}),
        {"language": "ru", "next": "/c/alpha/contacts/"},
    )
    assert response.status_code == 302
    assert response.url == "/c/alpha/contacts/"
    owner.refresh_from_db()
    owner_crm_user.refresh_from_db()
    assert owner_crm_user.language == "ru"
    assert owner.language == "en"  # the portal keeps the Account's language

    forget_cookie(client)
    crm_home = client.get(reverse("crm:home", kwargs={"slug": "alpha"}))
    assert html_lang(crm_home) == "ru"
    assert html_lang(client.get(reverse("portal:crm_list"))) == "en"


def test_crm_switch_never_leaves_the_crm(client, owner_crm_user):
    crm_login(client, owner_crm_user)
    response = client.post(
        reverse("crm:set_language", kwargs={"slug": "alpha"}),
        {"language": "uk", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response.url == "/c/alpha/"


def test_an_unknown_language_is_not_stored(client, owner, owner_crm_user):
    client.force_login(owner)
    crm_login(client, owner_crm_user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/portal/"})
    client.post(
        reverse("crm:set_language", kwargs={"slug": "alpha"}),
        {"language": "de", "next": "/c/alpha/"},
    )
    owner.refresh_from_db()
    owner_crm_user.refresh_from_db()
    assert owner.language == ""
    assert owner_crm_user.language == ""


def test_a_crm_page_never_loads_the_account(
    client, owner, owner_crm_user, django_assert_num_queries
):
    """Signed in to the portal too, a CRM page still costs one query: the
    Account's language is the portal's business only."""
    owner.language = "ru"
    owner.save(update_fields=["language"])
    owner_crm_user.language = "uk"
    owner_crm_user.save(update_fields=["language"])
    client.force_login(owner)
    crm_login(client, owner_crm_user)
    client.get(reverse("crm:home", kwargs={"slug": "alpha"}))  # warm the layout
    with django_assert_num_queries(1):
        response = client.get(reverse("crm:home", kwargs={"slug": "alpha"}))
    assert html_lang(response) == "uk"


def _crm_views(resolver, namespace: str = "") -> list[tuple[str, object]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _crm_views(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and namespace == "crm":
            found.append((entry.name, entry.callback))
    return found


def test_every_crm_view_chooses_its_own_language():
    """Otherwise the portal's middleware would speak the Account's language in a
    CRM, and load the Account on every CRM page."""
    views = _crm_views(get_resolver())
    assert len(views) > 20
    unmarked = [name for name, view in views if not view.language_from_view]
    assert unmarked == []


# --- Emails in the recipient's language -----------------------------------------------


def test_crm_user_added_by_an_admin_gets_the_admins_language(db):
    crm = CrmFactory()
    admin = OwnerCrmUserFactory(crm=crm, language="uk")
    client = Client()
    crm_login(client, admin)
    response = client.post(
        reverse("crm:user_add", kwargs={"slug": crm.slug}),
        {
            "name": "Петро",
            "email": "petro@example.com",
            "role": "user",
            "invite": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CrmUser.objects.get(email="petro@example.com").language == "uk"


@pytest.mark.parametrize(
    ("language", "date", "number"),
    [
        ("en", "Dec. 1, 2026, 2:05 p.m.", "1,234,567.50"),
        ("uk", "01 грудня 2026 р. 14:05", "1\xa0234\xa0567,50"),  # noqa: RUF001
        ("ru", "1 декабря 2026 г. 14:05", "1\xa0234\xa0567,50"),  # noqa: RUF001
    ],
)
def test_dates_and_numbers_follow_the_language(language, date, number):
    moment = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)
    template = Template(
        '{{ when|date:"DATETIME_FORMAT" }}|{{ amount|floatformat:"2g" }}'
    )
    with translation.override(language):
        rendered = template.render(
            Context({"when": moment, "amount": Decimal("1234567.5")})
        )
        assert formats.date_format(moment, "DATETIME_FORMAT") == date
    assert rendered == f"{date}|{number}"


def test_a_deal_amount_is_shown_and_edited_the_crm_users_way(db):
    crm = CrmFactory(slug="alpha")
    admin = OwnerCrmUserFactory(crm=crm, language="uk")
    deal = DealFactory(crm=crm, amount=Decimal("1234.5"), responsible=admin)
    client = Client()
    crm_login(client, admin)
    card = client.get(f"/c/alpha/deals/{deal.pk}/").content.decode()
    assert "1\xa0234,50" in card
    # The edit form holds a number the browser can send back as it is ...
    edit = client.get(f"/c/alpha/deals/{deal.pk}/edit/").content.decode()
    assert 'name="amount" value="1234.50"' in edit
    # ... and a decimal comma, as Ukrainian writes it, is understood.
    response = client.post(
        f"/c/alpha/deals/{deal.pk}/edit/",
        {
            "name": deal.name,
            "amount": "99,95",
            "status_id": deal.status_id,
            "responsible_id": admin.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    deal.refresh_from_db()
    assert deal.amount == Decimal("99.95")
    assert Deal.objects.count() == 1


# --- Catalogues -----------------------------------------------------------------------


def msgfmt_statistics(po: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.strip()


def _copy_sources(target: Path) -> None:
    shutil.copytree(
        BASE_DIR,
        target,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "staticfiles", "node_modules", "__pycache__", "*.mo"
        ),
    )


def _po_entries(text: str) -> list[tuple[str, str | None, list[str]]]:
    """(msgid, msgid_plural, msgstrs) of each entry, header left out."""

    def unquote(lines: list[str]) -> str:
        return "".join(
            line.strip()[1:-1].encode().decode("unicode_escape").encode("latin-1")
            .decode("utf-8")
            for line in lines
        )  # fmt: skip

    entries = []
    for block in text.split("\n\n"):
        fields: dict[str, list[str]] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(
                r"(msgid_plural|msgid|msgstr(?:\[\d\])?|msgctxt) (.*)", line
            )
            if match:
                current = match.group(1)
                fields[current] = [match.group(2)]
            elif line.startswith('"') and current:
                fields[current].append(line)
        if "msgid" not in fields or unquote(fields["msgid"]) == "":
            continue
        msgstrs = [unquote(v) for k, v in fields.items() if k.startswith("msgstr")]
        plural = unquote(fields["msgid_plural"]) if "msgid_plural" in fields else None
        entries.append((unquote(fields["msgid"]), plural, msgstrs))
    return entries
