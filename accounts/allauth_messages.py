"""allauth's own strings that this project translates itself.

allauth ships Ukrainian and Russian catalogues, but writes some of these in Title
Case («Поточний Пароль»). Listed here, they are taken into this project's catalogues
by makemessages, and Django prefers those to an app's (LOCALE_PATHS come first).
Each must stay exactly as allauth spells it.

The pages and emails themselves are the project's (templates/account/); what is
left here are the labels of allauth's own forms, shown wherever ``ACCOUNT_FORMS``
does not name the product's versions in accounts/forms.py."""

from django.utils.translation import gettext_noop

ALLAUTH_MESSAGES = (
    gettext_noop("Remember Me"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
)
