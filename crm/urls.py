from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("", views.crm_home, name="home"),
    path("login/", views.crm_login, name="login"),
    path("logout/", views.crm_logout, name="logout"),
    path("profile/", views.crm_profile, name="profile"),
    path("sso/<str:token>/", views.crm_sso_redeem, name="sso_redeem"),
]
