from django.urls import include, path

from crm import settings_views, views

app_name = "crm"

urlpatterns = [
    path("", views.crm_home, name="home"),
    path("login/", views.crm_login, name="login"),
    path("logout/", views.crm_logout, name="logout"),
    path("language/", views.crm_set_language, name="set_language"),
    path("profile/", views.crm_profile, name="profile"),
    path("profile/password/", views.crm_profile_password, name="profile_password"),
    path("sso/<str:token>/", views.crm_sso_redeem, name="sso_redeem"),
    path("invite/<str:token>/", views.crm_invitation, name="invitation"),
    path("settings/users/", settings_views.users_list, name="users"),
    path("settings/users/new/", settings_views.user_add, name="user_add"),
    path("settings/users/seats/", settings_views.seats_update, name="seats"),
    path("settings/users/lookup/", settings_views.user_lookup, name="user_lookup"),
    path(
        "settings/users/<int:crm_user_id>/", settings_views.user_edit, name="user_edit"
    ),
    path(
        "settings/users/<int:crm_user_id>/deactivate/",
        settings_views.user_deactivate,
        name="user_deactivate",
    ),
    path(
        "settings/users/<int:crm_user_id>/reactivate/",
        settings_views.user_reactivate,
        name="user_reactivate",
    ),
    path(
        "settings/users/<int:crm_user_id>/delete/",
        settings_views.user_delete,
        name="user_delete",
    ),
    path("settings/groups/", settings_views.groups, name="groups"),
    path(
        "settings/groups/<int:group_id>/rename/",
        settings_views.group_rename,
        name="group_rename",
    ),
    path(
        "settings/groups/<int:group_id>/delete/",
        settings_views.group_delete,
        name="group_delete",
    ),
    path("settings/audit/", settings_views.audit_log, name="audit"),
    path("settings/api/", include("crm.apikeys_urls")),
    path("", include("crm.records_urls")),
]
