"""Contacts, companies, deals, pipelines and custom fields inside a CRM."""

from django.urls import path

from crm import records_views as views

urlpatterns = [
    path("jobs/<int:job_id>/", views.job_progress, name="job"),
    path("deals/", views.deals_board, name="deals_board"),
    path("deals/<int:record_id>/move/", views.deal_move_view, name="deal_move"),
    path("pick/<slug:entity>/", views.record_picker_view, name="record_picker"),
    path("settings/fields/", views.custom_fields, name="custom_fields"),
    path("settings/pipelines/", views.pipelines_settings, name="pipelines"),
]

for _entity, _plural in (
    ("contact", "contacts"),
    ("company", "companies"),
    ("deal", "deals"),
):
    _list, _new, _card, _edit, _action, _bulk = views._entity_views(_entity)
    if _entity != "deal":
        urlpatterns.append(path(f"{_plural}/", _list, name=f"{_entity}_list"))
    else:
        urlpatterns.append(path("deals/list/", _list, name="deal_list"))
    urlpatterns += [
        path(f"{_plural}/new/", _new, name=f"{_entity}_new"),
        path(f"{_plural}/bulk-delete/", _bulk, name=f"{_entity}_bulk_delete"),
        path(f"{_plural}/<int:record_id>/", _card, name=f"{_entity}_card"),
        path(f"{_plural}/<int:record_id>/edit/", _edit, name=f"{_entity}_edit"),
        path(
            f"{_plural}/<int:record_id>/<slug:action>/",
            _action,
            name=f"{_entity}_action",
        ),
    ]
