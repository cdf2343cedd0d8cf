"""``/api/v4/``: amoCRM's paths, without a trailing slash (one is tolerated)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from crm.amo import views
from crm.amo.schema import SETTINGS

app_name = "amo"

E = rf"(?P<entity_type>{views.ENTITY_PATTERN})"
ID = views.ID_PATTERN


def _path(pattern: str, view, name: str):
    return re_path(rf"^{pattern}/?$", view, name=name)


urlpatterns = [
    _path("account", views.AccountView.as_view(), "account"),
    _path("users", views.UsersView.as_view(), "users"),
    _path(rf"users/(?P<pk>{ID})", views.UserView.as_view(), "user"),
    _path("leads/pipelines", views.PipelinesView.as_view(), "pipelines"),
    _path(rf"leads/pipelines/(?P<pk>{ID})", views.PipelineView.as_view(), "pipeline"),
    _path(
        rf"leads/pipelines/(?P<pipeline_id>{ID})/statuses",
        views.PipelineStatusesView.as_view(),
        "pipeline_statuses",
    ),
    _path(
        rf"leads/pipelines/(?P<pipeline_id>{ID})/statuses/(?P<pk>{ID})",
        views.PipelineStatusView.as_view(),
        "pipeline_status",
    ),
    _path("leads/complex", views.ComplexView.as_view(), "leads_complex"),
    _path("tasks", views.TasksView.as_view(), "tasks"),
    _path(rf"tasks/(?P<pk>{ID})", views.TaskView.as_view(), "task"),
    _path(rf"{E}/custom_fields", views.CustomFieldsView.as_view(), "custom_fields"),
    _path(
        rf"{E}/custom_fields/(?P<pk>{ID})",
        views.CustomFieldView.as_view(),
        "custom_field",
    ),
    _path(rf"{E}/notes", views.NotesView.as_view(), "notes"),
    _path(rf"{E}/(?P<record_id>{ID})/notes", views.NotesView.as_view(), "record_notes"),
    _path(
        rf"{E}/(?P<record_id>{ID})/notes/(?P<pk>{ID})",
        views.NoteView.as_view(),
        "record_note",
    ),
    _path(
        rf"{E}/link",
        views.LinksView.as_view(http_method_names=["post", "options"]),
        "links_batch",
    ),
    _path(rf"{E}/unlink", views.UnlinkView.as_view(), "unlink_batch"),
    _path(
        rf"{E}/(?P<record_id>{ID})/links",
        views.LinksView.as_view(http_method_names=["get", "head", "options"]),
        "record_links",
    ),
    _path(
        rf"{E}/(?P<record_id>{ID})/link",
        views.LinksView.as_view(http_method_names=["post", "options"]),
        "record_link",
    ),
    _path(
        rf"{E}/(?P<record_id>{ID})/unlink", views.UnlinkView.as_view(), "record_unlink"
    ),
    _path(E, views.RecordsView.as_view(), "records"),
    _path(rf"{E}/(?P<pk>{ID})", views.RecordView.as_view(), "record"),
    path(
        "schema/", SpectacularAPIView.as_view(custom_settings=SETTINGS), name="schema"
    ),
    path("docs/", SpectacularSwaggerView.as_view(url_name="amo:schema"), name="docs"),
    re_path(r"^.*$", views.UnknownEndpointView.as_view(), name="unknown"),
]
