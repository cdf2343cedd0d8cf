# ruff: noqa: RUF001 - Cyrillic text is what these tests are about
"""Languages: the switcher, the language remembered for the Account and for each CRM
user separately, emails in their recipient's language, plural forms, dates and
numbers per language, and catalogues that are complete."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import formats, translation

from accounts.services import account_send_welcome_email
from crm.models import CrmUser, Deal, Pipeline
from crm.services.crms import crm_send_memberships_email
from crm.services.invitations import crm_send_invitation_email
from tests.browser_forms import form_data
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountFactory,
    ContactFactory,
    CrmFactory,
    CrmUserFactory,
    DealFactory,
    OwnerCrmUserFactory,
    PipelineStatusFactory,
)
from tests.reauth import sign_in_again

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


def sidebar_of(page: str) -> str:
    """A CRM page's sidebar (crm/includes/sidebar.html): its sections and the user's
    menu with the language switcher."""
    return page.split('<div class="sidebar"', 1)[1].split('class="nav-backdrop"', 1)[0]


def test_switcher_in_a_crm_posts_to_that_crm(client, owner_crm_user):
    crm_login(client, owner_crm_user)
    page = client.get(reverse("crm:home", kwargs={"slug": "alpha"})).content.decode()
    header = sidebar_of(page)
    assert 'action="/c/alpha/language/"' in header
    assert '<label for="language-select">' in header


# A CRM's top bar: its sections, Settings, sign-out, the switcher's label and button.
TOP_BAR = {
    "en": (
        "Contacts",
        "Companies",
        "Deals",
        "Settings",
        "Sign out",
        "Language",
        "Change",
    ),
    "uk": ("Контакти", "Компанії", "Угоди", "Налаштування", "Вийти", "Мова", "Змінити"),
    "ru": ("Контакты", "Компании", "Сделки", "Настройки", "Выйти", "Язык", "Изменить"),
}


@pytest.mark.parametrize("language", TOP_BAR)
def test_crm_top_bar_speaks_the_crm_users_language(client, owner_crm_user, language):
    owner_crm_user.name = "Олена"
    owner_crm_user.language = language
    owner_crm_user.save()
    crm_login(client, owner_crm_user)
    page = client.get(reverse("crm:home", kwargs={"slug": "alpha"})).content.decode()
    header = sidebar_of(page)
    contacts, companies, deals, settings_, sign_out, label, change = TOP_BAR[language]
    links = [
        ("crm:home", "Alpha Traders"),
        ("crm:contact_list", contacts),
        ("crm:company_list", companies),
        ("crm:deals_board", deals),
        ("crm:users", settings_),  # the owner may manage the CRM
    ]
    for name, text in links:
        url = reverse(name, kwargs={"slug": "alpha"})
        # The link's text after its icon: tags may come between, not another link.
        within = r"(?:(?!</a>).)*?"
        assert re.search(
            rf'<a [^>]*href="{url}"[^>]*>{within}>{text}<{within}</a>', header, re.S
        ), name
    assert '<span class="user-name">Олена</span>' in header
    assert f'href="{reverse("crm:profile", kwargs={"slug": "alpha"})}"' in header
    logout = reverse("crm:logout", kwargs={"slug": "alpha"})
    assert f'<form method="post" action="{logout}"' in header
    assert f"<span>{sign_out}</span></button>" in header
    assert f'<label for="language-select">{label}</label>' in header
    assert f">{change}</button>" in header
    # The language in use is the one selected, each named in itself.
    options = re.findall(r'<option value="(\w+)" lang="\1"( selected)?>(.+?)<', header)
    assert options == [
        ("en", " selected" if language == "en" else "", "English"),
        ("uk", " selected" if language == "uk" else "", "Українська"),
        ("ru", " selected" if language == "ru" else "", "Русский"),
    ]
    assert "All my CRMs" not in header  # no portal sign-in in this browser


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


def test_a_crm_page_never_loads_the_account(client, owner, owner_crm_user):
    """Signed in to the portal too, a CRM page never reads the Account: its
    language is the portal's business only."""
    owner.language = "ru"
    owner.save(update_fields=["language"])
    owner_crm_user.language = "uk"
    owner_crm_user.save(update_fields=["language"])
    client.force_login(owner)
    crm_login(client, owner_crm_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("crm:home", kwargs={"slug": "alpha"}))
    # Sessions live in Redis in production; on SQLite alone they are a table.
    sql = [q["sql"] for q in queries if "django_session" not in q["sql"]]
    assert sql
    assert not [q for q in sql if "accounts_account" in q], sql
    assert html_lang(response) == "uk"
    assert "<span>Контакти</span></a>" in response.content.decode()


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


def test_new_account_keeps_the_language_it_signed_up_in(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "crm_name": "Нова крамниця",
            "password1": "a-long-enough-passw0rd",
            "password2": "a-long-enough-passw0rd",
        },
    )
    assert response.status_code == 302
    account = settings_account("new@example.com")
    assert account.language == "uk"
    owner_user = CrmUser.objects.get(account=account)
    assert owner_user.language == "uk"
    # The new CRM's default pipeline is named in the owner's language.
    assert Pipeline.objects.get(crm=owner_user.crm).name == "Продажі"


def settings_account(email: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=email)


class _VisibleText(HTMLParser):
    """The text a person reads on a page: text nodes and the attributes that are
    shown or spoken (titles, placeholders, labels), without scripts and styles."""

    SPOKEN = ("title", "placeholder", "aria-label", "data-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        self.texts += [value for name, value in attrs if name in self.SPOKEN and value]

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data) -> None:
        if not self.hidden and data.strip():
            self.texts.append(data.strip())


# Words that stay as they are in Ukrainian and Russian text.
LATIN_ALLOWED = {
    *("CRM", "API", "ID", "UTC", "JSON", "CSV", "ZIP", "REST", "email", "Email"),
    *("Portal", "Authorization", "Bearer", "key", "English"),
    # Names of products and file formats.
    *("Excel", "xlsx", "XLSX", "amoCRM", "Kommo"),
    # ISO 4217 codes, which money shows beside the amount in every language.
    *("USD", "EUR", "UAH"),
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_main_pages_have_no_english_left(db, language):
    """Every main page of the portal and of a CRM, as its user reads it: no text
    in English beyond the names of things (the data here is all in Cyrillic)."""
    account = AccountFactory(email="olena@example.com", name="Олена", language=language)
    crm = CrmFactory(owner=account, name="Крамниця", slug="shop")
    owner = OwnerCrmUserFactory(crm=crm, name="Олена", language=language)
    staff = CrmUserFactory(crm=crm, name="Петро", email="petro@example.com")
    status = PipelineStatusFactory(
        pipeline__crm=crm, pipeline__name="Роздріб", name="Нова"
    )
    deal = DealFactory(
        responsible=owner, status=status, name="Угода", amount=Decimal("10")
    )
    contact = ContactFactory(responsible=owner, name="Іван")
    visitor = Client()
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    visitor_pages = [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/find/",
        "/c/shop/login/",
    ]
    client = Client()
    client.force_login(account)
    sign_in_again(client)
    crm_login(client, owner)
    pages = [
        f"/c/shop/deals/{deal.pk}/",
        f"/c/shop/contacts/{contact.pk}/",
        "/portal/",
        "/portal/crms/new/",
        "/portal/crms/connect/",
        f"/portal/crms/{crm.pk}/delete/",
        f"/portal/crms/{crm.pk}/export/",
        "/accounts/password/change/",
        "/c/shop/",
        "/c/shop/contacts/",
        "/c/shop/contacts/new/",
        "/c/shop/companies/",
        "/c/shop/deals/",
        "/c/shop/deals/list/",
        "/c/shop/tasks/",
        "/c/shop/settings/security/",
        "/c/shop/settings/users/",
        "/c/shop/settings/users/new/",
        f"/c/shop/settings/users/{staff.pk}/",
        f"/c/shop/settings/users/{staff.pk}/deactivate/",
        "/c/shop/settings/groups/",
        "/c/shop/settings/fields/",
        "/c/shop/settings/pipelines/",
        "/c/shop/settings/api/",
        "/c/shop/settings/audit/",
        "/c/shop/profile/",
    ]
    english = []
    for path in visitor_pages + pages:
        response = (visitor if path in visitor_pages else client).get(path)
        assert response.status_code == 200, path
        assert html_lang(response) == language, path
        reader = _VisibleText()
        reader.feed(response.content.decode())
        for text in reader.texts:
            if "@" in text or "/" in text:
                continue  # addresses and links
            words = set(re.findall(r"[A-Za-z]{2,}", text))
            if words - LATIN_ALLOWED:
                english.append(f"{path}: {text!r}")
    assert english == []


# --- Emails in the recipient's language -----------------------------------------------


def test_invitation_to_a_ukrainian_crm_user_arrives_in_ukrainian(db):
    crm = CrmFactory(name="Alpha Traders")
    crm_user = CrmUserFactory(crm=crm, name="Оксана", language="uk")
    translation.activate("en")  # whatever the sender's language
    crm_send_invitation_email(
        crm_user=crm_user, link="https://x.example/i/1/", inviter="Anna"
    )
    (message,) = mail.outbox
    assert message.subject == "Вас запрошено до Alpha Traders"
    assert message.body.startswith("Вітаємо, Оксана!")
    assert "Anna додає вас до CRM «Alpha Traders»" in message.body
    assert translation.get_language() == "en"  # the sender's language is back


def test_invitation_follows_the_crm_user_not_the_account(db):
    account = AccountFactory(language="ru")
    crm = CrmFactory(owner=account)
    crm_user = OwnerCrmUserFactory(crm=crm, language="uk")
    crm_send_invitation_email(crm_user=crm_user, link="https://x/", inviter="A")
    assert mail.outbox[0].subject.startswith("Вас запрошено")


def test_invitation_to_a_russian_crm_user_arrives_in_russian(db):
    crm = CrmFactory(name="Alpha Traders")
    crm_user = CrmUserFactory(crm=crm, name="Ольга", language="ru")
    crm_send_invitation_email(crm_user=crm_user, link="https://x/i/1/", inviter="Anna")
    (message,) = mail.outbox
    assert message.subject == "Приглашение в CRM «Alpha Traders»"
    assert message.body.startswith("Здравствуйте, Ольга!")


def test_account_email_speaks_the_accounts_language(db):
    account_send_welcome_email(account=AccountFactory(language="uk"))
    account_send_welcome_email(account=AccountFactory(language=""))
    ukrainian, english = mail.outbox
    assert ukrainian.subject == "Вітаємо у вашому CRM-порталі"
    assert english.subject == "Welcome to your CRM portal"


def test_crm_user_added_by_an_admin_gets_the_admins_language(db):
    crm = CrmFactory()
    # Only a CRM whose owner confirmed their address sends invitations.
    EmailAddress.objects.create(
        user=crm.owner, email=crm.owner.email, primary=True, verified=True
    )
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


def test_find_my_crms_speaks_the_requesters_language(
    client, db, django_capture_on_commit_callbacks
):
    crm = CrmFactory(name="Alpha Traders", slug="alpha")
    CrmUserFactory(crm=crm, email="worker@example.com", language="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("find_my_crms"), {"email": "worker@example.com"})
    (message,) = mail.outbox
    assert message.subject == "Ваші CRM і посилання для входу"
    # Rendered straight from the service, the default is English.
    crm_send_memberships_email(
        email="worker@example.com",
        memberships=list(CrmUser.objects.filter(email="worker@example.com")),
    )
    assert mail.outbox[1].subject == "Your CRMs and their sign-in links"


def test_password_reset_speaks_the_accounts_language(owner):
    owner.language = "uk"
    owner.save(update_fields=["language"])
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("account_reset_password"), {"email": owner.email}
    )
    (message,) = mail.outbox
    assert message.subject == "Скидання пароля в CRM Portal", message.subject
    assert message.body.startswith("Вітаємо!"), message.body[:200]


@pytest.mark.parametrize(
    ("language", "wording"),
    [
        ("uk", ["Змінити пароль", "Поточний пароль", "Новий пароль ще раз"]),
        ("ru", ["Изменить пароль", "Текущий пароль", "Новый пароль ещё раз"]),
    ],
)
def test_allauth_pages_use_our_wording(owner, client, language, wording):
    """allauth's pages in the product's words and sentence case."""
    owner.language = language
    owner.save(update_fields=["language"])
    client.force_login(owner)
    sign_in_again(client)
    page = client.get(reverse("account_change_password")).content.decode()
    for text in wording:
        assert text in page


# --- Plurals, dates, numbers ----------------------------------------------------------

USERS_LINE = Template(
    "{% load i18n %}{% blocktranslate count used=n %}{{ used }} active user, "
    "no seat limit{% plural %}{{ used }} active users, no seat limit"
    "{% endblocktranslate %}"
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "uk",
            [
                "1 активний користувач",
                "2 активні користувачі",
                "5 активних користувачів",
                "11 активних користувачів",
                "21 активний користувач",
                "22 активні користувачі",
            ],
        ),
        (
            "ru",
            [
                "1 активный пользователь",
                "2 активных пользователя",
                "5 активных пользователей",
                "11 активных пользователей",
                "21 активный пользователь",
                "22 активных пользователя",
            ],
        ),
        (
            "en",
            [
                "1 active user",
                "2 active users",
                "5 active users",
                "11 active users",
                "21 active users",
                "22 active users",
            ],
        ),
    ],
)
def test_plural_forms(language, expected):
    with translation.override(language):
        lines = [USERS_LINE.render(Context({"n": n})) for n in (1, 2, 5, 11, 21, 22)]
    assert [line.split(",")[0] for line in lines] == expected


@pytest.mark.parametrize(
    ("language", "date", "number"),
    [
        ("en", "Dec. 1, 2026, 2:05 p.m.", "1,234,567.50"),
        ("uk", "01 грудня 2026 р. 14:05", "1\xa0234\xa0567,50"),
        ("ru", "1 декабря 2026 г. 14:05", "1\xa0234\xa0567,50"),
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
    # The edit form writes the amount as Ukrainian does, and reads it back so.
    edit = client.get(f"/c/alpha/deals/{deal.pk}/edit/").content.decode()
    assert 'name="amount" value="1234,50"' in edit
    response = client.post(
        f"/c/alpha/deals/{deal.pk}/edit/", form_data(edit, amount="99,95")
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


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_is_complete(language):
    po = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    assert po.exists(), f"no catalogue for {language}"
    statistics = msgfmt_statistics(po)
    assert re.fullmatch(r"\d+ translated messages\.", statistics), statistics
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")


def _copy_sources(target: Path) -> None:
    shutil.copytree(
        BASE_DIR,
        target,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "staticfiles", "node_modules", "__pycache__", "*.mo"
        ),
    )


def test_makemessages_would_add_nothing_untranslated(tmp_path):
    """Run makemessages on a copy of the sources: every string marked in Python and
    templates must already be in each catalogue, translated and not fuzzy."""
    copy = tmp_path / "project"
    _copy_sources(copy)
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete"]
    command += [f"--locale={language}" for language in TRANSLATED]
    command += ["--ignore=.venv", "--ignore=var"]
    result = subprocess.run(
        command,
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    for language in TRANSLATED:
        po = copy / "locale" / language / "LC_MESSAGES" / "django.po"
        statistics = msgfmt_statistics(po)
        assert re.fullmatch(r"\d+ translated messages\.", statistics), (
            f"{language}: {statistics}; run makemessages and translate"
        )


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_survive_translation(language):
    """msgfmt --check compares printf placeholders; Python's %(name)s and
    {{ variables }} turned %(name)s are checked here too, name by name."""
    po = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = _po_entries(po.read_text(encoding="utf-8"))
    assert entries
    wrong = []
    for msgid, plural, msgstrs in entries:
        expected = set(re.findall(r"%\(\w+\)[sdr]", msgid + (plural or "")))
        for msgstr in msgstrs:
            if set(re.findall(r"%\(\w+\)[sdr]", msgstr)) != expected:
                wrong.append(msgid)
    assert wrong == []


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


def test_plain_text_emails_keep_names_as_written(db):
    """E-mails are plain text: a name with an apostrophe or an ampersand arrives
    as typed, not as HTML entities."""
    from django.template.loader import render_to_string

    crm = CrmFactory(name="Olga's Shop & Co")
    owner = OwnerCrmUserFactory(crm=crm, name="O'Brien")
    for template in ("emails/crm_ready_subject.txt", "emails/crm_ready_body.txt"):
        text = render_to_string(
            template,
            {"crm": crm, "crm_user": owner, "direct_link": "x", "portal_link": "y"},
        )
        assert "&#x27;" not in text and "&amp;" not in text
    body = render_to_string(
        "emails/crm_ready_body.txt",
        {"crm": crm, "crm_user": owner, "direct_link": "x", "portal_link": "y"},
    )
    assert "Olga's Shop & Co" in body
