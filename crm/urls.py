"""Every page of a CRM, under /c/<slug>/. The views of contacts, companies and
deals serve the three kinds; each route names its kind (crm/entities.py)."""

from django.urls import path

from crm.views import (
    access,
    apikeys,
    board,
    home,
    imports,
    records,
    settings,
    two_factor,
    users,
)
from crm.views.layouts import list_layout
from crm.views.list_export import record_list_export
from crm.views.tasks import (
    task_complete_view,
    task_delete_view,
    task_edit,
    task_list,
    task_new,
    task_type_delete_view,
    task_types,
)

app_name = "crm"

CONTACT = {"entity": "contact"}
COMPANY = {"entity": "company"}
DEAL = {"entity": "deal"}

urlpatterns = [
    path("", home.crm_home, name="home"),
    # Signing in and one's own profile
    path("login/", access.crm_login, name="login"),
    path("login/forgot/", access.crm_password_forgot, name="password_forgot"),
    path(
        "login/forgot/sent/",
        access.crm_password_forgot_sent,
        name="password_forgot_sent",
    ),
    path("password-reset/", access.crm_password_reset_set, name="password_reset_set"),
    path(
        "password-reset/<str:token>/", access.crm_password_reset, name="password_reset"
    ),
    path("logout/", access.crm_logout, name="logout"),
    path("language/", access.crm_set_language, name="set_language"),
    path("profile/", access.crm_profile, name="profile"),
    path("profile/password/", access.crm_profile_password, name="profile_password"),
    path("login/code/", two_factor.crm_login_code, name="login_code"),
    path("profile/two-factor/", two_factor.crm_two_factor, name="two_factor"),
    path("sign-in-again/", two_factor.crm_sign_in_again, name="sign_in_again"),
    path("sso/<str:token>/", access.crm_sso_redeem, name="sso_redeem"),
    path("invite/<str:token>/", access.crm_invitation, name="invitation"),
    # Contacts
    path("contacts/", records.record_list, CONTACT, name="contact_list"),
    path("contacts/new/", records.record_form, CONTACT, name="contact_new"),
    path("contacts/layout/", list_layout, CONTACT, name="contact_layout"),
    path("contacts/export/", record_list_export, CONTACT, name="contact_export"),
    path(
        "contacts/bulk-delete/",
        records.record_bulk_delete,
        CONTACT,
        name="contact_bulk_delete",
    ),
    path(
        "contacts/<int:record_id>/", records.record_card, CONTACT, name="contact_card"
    ),
    path(
        "contacts/<int:record_id>/edit/",
        records.record_form,
        CONTACT,
        name="contact_edit",
    ),
    path(
        "contacts/<int:record_id>/<slug:action>/",
        records.record_action,
        CONTACT,
        name="contact_action",
    ),
    # Companies
    path("companies/", records.record_list, COMPANY, name="company_list"),
    path("companies/new/", records.record_form, COMPANY, name="company_new"),
    path("companies/layout/", list_layout, COMPANY, name="company_layout"),
    path("companies/export/", record_list_export, COMPANY, name="company_export"),
    path(
        "companies/bulk-delete/",
        records.record_bulk_delete,
        COMPANY,
        name="company_bulk_delete",
    ),
    path(
        "companies/<int:record_id>/", records.record_card, COMPANY, name="company_card"
    ),
    path(
        "companies/<int:record_id>/edit/",
        records.record_form,
        COMPANY,
        name="company_edit",
    ),
    path(
        "companies/<int:record_id>/<slug:action>/",
        records.record_action,
        COMPANY,
        name="company_action",
    ),
    # Deals: the board first, the list beside it
    path("deals/", board.deals_board, name="deals_board"),
    path(
        "deals/board/<int:status_id>/",
        board.board_column,
        name="deals_board_column",
    ),
    path(
        "deals/board/<int:status_id>/add/",
        board.deal_quick_add_view,
        name="deal_quick_add",
    ),
    path("deals/list/", records.record_list, DEAL, name="deal_list"),
    path("deals/new/", records.record_form, DEAL, name="deal_new"),
    path("deals/layout/", list_layout, DEAL, name="deal_layout"),
    path("deals/export/", record_list_export, DEAL, name="deal_export"),
    path(
        "deals/bulk-delete/",
        records.record_bulk_delete,
        DEAL,
        name="deal_bulk_delete",
    ),
    path("deals/<int:record_id>/", records.record_card, DEAL, name="deal_card"),
    path("deals/<int:record_id>/edit/", records.record_form, DEAL, name="deal_edit"),
    path("deals/<int:record_id>/move/", board.deal_move_view, name="deal_move"),
    path(
        "deals/<int:record_id>/<slug:action>/",
        records.record_action,
        DEAL,
        name="deal_action",
    ),
    # The record forms' searchable pickers, and bulk deletion jobs
    path("pick/<slug:entity>/", records.record_picker, name="record_picker"),
    path("jobs/<int:job_id>/", records.job_progress, name="job"),
    # Importing contacts and companies from a file
    path("imports/", imports.import_list, name="import_list"),
    path("imports/new/", imports.import_new, name="import_new"),
    path("imports/<int:import_id>/", imports.import_detail, name="import_detail"),
    path(
        "imports/<int:import_id>/columns/",
        imports.import_columns,
        name="import_columns",
    ),
    path(
        "imports/<int:import_id>/preview/",
        imports.import_preview,
        name="import_preview",
    ),
    path(
        "imports/<int:import_id>/report.csv",
        imports.import_report,
        name="import_report",
    ),
    path("imports/<int:import_id>/undo/", imports.import_undo, name="import_undo"),
    # Tasks
    path("tasks/", task_list, name="task_list"),
    path("tasks/new/", task_new, name="task_new"),
    path("tasks/<int:task_id>/edit/", task_edit, name="task_edit"),
    path(
        "tasks/<int:task_id>/complete/",
        task_complete_view,
        name="task_complete",
    ),
    path("tasks/<int:task_id>/delete/", task_delete_view, name="task_delete"),
    # Settings: users, groups and seats
    path("settings/users/", users.users_list, name="users"),
    path("settings/users/new/", users.user_add, name="user_add"),
    path("settings/users/seats/", users.seats_update, name="seats"),
    path("settings/users/lookup/", users.user_lookup, name="user_lookup"),
    path("settings/users/<int:crm_user_id>/", users.user_edit, name="user_edit"),
    path(
        "settings/users/<int:crm_user_id>/two-factor/reset/",
        two_factor.crm_user_two_factor_reset,
        name="user_two_factor_reset",
    ),
    path("settings/security/", two_factor.crm_security, name="security"),
    path(
        "settings/users/<int:crm_user_id>/password/link/",
        users.user_password_link,
        name="user_password_link",
    ),
    path(
        "settings/users/<int:crm_user_id>/password/set/",
        users.user_password_set,
        name="user_password_set",
    ),
    path(
        "settings/users/<int:crm_user_id>/deactivate/",
        users.user_deactivate,
        name="user_deactivate",
    ),
    path(
        "settings/users/<int:crm_user_id>/reactivate/",
        users.user_reactivate,
        name="user_reactivate",
    ),
    path(
        "settings/users/<int:crm_user_id>/delete/",
        users.user_delete,
        name="user_delete",
    ),
    path("settings/groups/", users.groups, name="groups"),
    path(
        "settings/groups/<int:group_id>/rename/",
        users.group_rename,
        name="group_rename",
    ),
    path(
        "settings/groups/<int:group_id>/delete/",
        users.group_delete,
        name="group_delete",
    ),
    # Settings: custom fields, pipelines, the audit log and API keys
    path("settings/fields/", settings.custom_fields, name="custom_fields"),
    path(
        "settings/fields/<int:field_id>/",
        settings.custom_field_edit,
        name="custom_field_edit",
    ),
    path("settings/pipelines/", settings.pipelines_settings, name="pipelines"),
    path(
        "settings/pipelines/<int:pipeline_id>/",
        settings.pipeline_setup,
        name="pipeline_setup",
    ),
    path("settings/audit/", settings.audit_log, name="audit"),
    path("settings/task-types/", task_types, name="task_types"),
    path(
        "settings/task-types/<int:task_type_id>/delete/",
        task_type_delete_view,
        name="task_type_delete",
    ),
    path("settings/api/", apikeys.api_keys, name="api_keys"),
    path(
        "settings/api/<int:api_key_id>/revoke/",
        apikeys.api_key_revoke_view,
        name="api_key_revoke",
    ),
]
