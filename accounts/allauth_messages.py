"""allauth's own strings that this project translates itself.

allauth ships Ukrainian and Russian catalogues, but writes some of these in Title
Case («Змінити Пароль», «Відновити Мій Пароль») or with typos. Listed here, they are
taken into this project's catalogues by makemessages, and Django prefers those to an
app's (LOCALE_PATHS come first). Each must stay exactly as allauth spells it."""

from django.utils.translation import gettext_noop

ALLAUTH_MESSAGES = (
    # Forms and pages
    gettext_noop("Remember Me"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("Change Password"),
    gettext_noop("Password Reset"),
    gettext_noop("Reset My Password"),
    gettext_noop("Forgot Password?"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send "
        "you an email allowing you to reset it."
    ),
    gettext_noop("Please contact us if you have any trouble resetting your password."),
    gettext_noop("Bad Token"),
    gettext_noop("Account Inactive"),
    gettext_noop("Confirm Email Address"),
    gettext_noop("Verify Your Email Address"),
    gettext_noop(
        'Please confirm that <a href="mailto:%(email)s">%(email)s</a> is an email '
        "address for user %(user_display)s."
    ),
    # Email subjects and their greeting and signature
    gettext_noop("Password Reset Email"),
    gettext_noop("Unknown Account"),
    gettext_noop("Account Already Exists"),
    gettext_noop("Please Confirm Your Email Address"),
    gettext_noop("Password Changed"),
    gettext_noop("Hello from %(site_name)s!"),
    gettext_noop("Thank you for using %(site_name)s!\n%(site_domain)s"),
)
