from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from portal.views import crms, find

# Django admin's own login form has no rate limit: staff sign in through allauth's
# (throttled per address and per failed email) and come back to the admin.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    # The CRMs' pages, their API and the portal first: they carry most requests,
    # and Django tries these patterns in order (an include with an empty prefix is
    # searched through for every address that gets to it).
    path("c/<slug:slug>/", include("crm.urls")),
    path("api/v1/", include("crm.api.urls")),
    path("portal/", include("portal.urls")),
    path("", crms.landing, name="landing"),
    path("accounts/", include("allauth.urls")),
    path("", include("billing.urls")),
    path("find/", find.find_my_crms, name="find_my_crms"),
    path("admin/", admin.site.urls),
    # Django's set_language, which also remembers the choice for a signed-in Account.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
]
