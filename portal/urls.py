from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.crm_list, name="crm_list"),
    path("crms/new/", views.crm_new, name="crm_new"),
    path("crms/connect/", views.crm_connect, name="crm_connect"),
    path("crms/<int:crm_id>/row/", views.crm_row, name="crm_row"),
    path("crms/<int:crm_id>/enter/", views.crm_enter_view, name="crm_enter"),
]
