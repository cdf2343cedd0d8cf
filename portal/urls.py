from django.urls import path

from portal.views import crms, deletion

app_name = "portal"

urlpatterns = [
    path("", crms.crm_list, name="crm_list"),
    path("crms/new/", crms.crm_new, name="crm_new"),
    path("crms/connect/", crms.crm_connect, name="crm_connect"),
    path("crms/<int:crm_id>/row/", crms.crm_row, name="crm_row"),
    path("crms/<int:crm_id>/enter/", crms.crm_enter_view, name="crm_enter"),
    path("crms/<int:crm_id>/delete/", deletion.crm_delete, name="crm_delete"),
    path(
        "crms/<int:crm_id>/cancel-deletion/",
        deletion.crm_cancel_deletion_view,
        name="crm_cancel_deletion",
    ),
    path("crms/<int:crm_id>/export/", deletion.crm_export, name="crm_export"),
    path(
        "crms/<int:crm_id>/export/<int:export_id>/download/",
        deletion.crm_export_download,
        name="crm_export_download",
    ),
]
