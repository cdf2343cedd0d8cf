from django.urls import path

from portal import deletion_views, views

app_name = "portal"

urlpatterns = [
    path("", views.crm_list, name="crm_list"),
    path("crms/new/", views.crm_new, name="crm_new"),
    path("crms/connect/", views.crm_connect, name="crm_connect"),
    path("crms/<int:crm_id>/row/", views.crm_row, name="crm_row"),
    path("crms/<int:crm_id>/enter/", views.crm_enter_view, name="crm_enter"),
    path("crms/<int:crm_id>/delete/", deletion_views.crm_delete, name="crm_delete"),
    path(
        "crms/<int:crm_id>/cancel-deletion/",
        deletion_views.crm_cancel_deletion_view,
        name="crm_cancel_deletion",
    ),
    path("crms/<int:crm_id>/export/", deletion_views.crm_export, name="crm_export"),
    path(
        "crms/<int:crm_id>/export/<int:export_id>/download/",
        deletion_views.crm_export_download,
        name="crm_export_download",
    ),
]
