from django.contrib import admin
from django.urls import include, path

from portal import views as portal_views

urlpatterns = [
    path("", portal_views.landing, name="landing"),
    path("accounts/", include("allauth.urls")),
    path("", include("billing.urls")),
    path("portal/", include("portal.urls")),
    path("find/", portal_views.find_my_crms, name="find_my_crms"),
    path("c/<slug:slug>/", include("crm.urls")),
    path("api/v1/", include("crm.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
