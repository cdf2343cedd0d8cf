from allauth.account import views as allauth_views
from allauth.account.decorators import reauthentication_required
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from accounts.admin_access import admin_site_secure
from config.health import healthz, readyz
from portal.views import crms, find

admin_site_secure(admin.site)

urlpatterns = [
    # Probes: answered by config.health.HealthProbeMiddleware before any host check.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # The CRMs' pages, their API and the portal first: they carry most requests,
    # and Django tries these patterns in order (an include with an empty prefix is
    # searched through for every address that gets to it).
    path("c/<slug:slug>/", include("crm.urls")),
    path("api/v1/", include("crm.api.urls")),
    # amoCRM's API v4, so that integrations written for it work here unchanged.
    path("api/v4/", include("crm.amo.urls")),
    path("portal/", include("portal.urls")),
    path("", crms.landing, name="landing"),
    # Changing the password asks first for what signs the Account in (the second
    # factor, when one is on), as allauth does for its own security pages.
    path(
        "accounts/password/change/",
        reauthentication_required(allauth_views.password_change),
        name="account_change_password",
    ),
    path("accounts/", include("allauth.urls")),
    path("", include("billing.urls")),
    path("find/", find.find_my_crms, name="find_my_crms"),
    path("admin/", admin.site.urls),
    # Django's set_language, which also remembers the choice for a signed-in Account.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
]
