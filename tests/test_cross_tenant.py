"""Every tenant URL, tried from a session of another CRM, and every portal URL that
takes a CRM id, tried with a CRM the Account is not linked to."""

import pytest
from django.urls import URLPattern, URLResolver, reverse

from crm import urls as crm_urls
from portal import urls as portal_urls
from tests.factories import DEFAULT_PASSWORD

# Placeholder values for URL parameters other than the CRM slug.
SAMPLE_KWARGS = {
    "token": "x" * 43,
    "crm_user_id": 1,
    "group_id": 1,
    "record_id": 1,
    "job_id": 1,
    "api_key_id": 1,
    "status_id": 1,
    "pipeline_id": 1,
    "task_id": 1,
    "task_type_id": 1,
    "import_id": 1,
    "field_id": 1,
    "action": "archive",
    "entity": "company",
}
ID_PARAMETERS = {
    "crm_user_id",
    "group_id",
    "record_id",
    "job_id",
    "api_key_id",
    "status_id",
    "pipeline_id",
    "task_id",
    "task_type_id",
    "import_id",
    "field_id",
}
# Pages of a CRM open to anyone, signed in there or not: they show no one's data.
PUBLIC_PAGES = {"login", "password_forgot", "password_forgot_sent"}


def _patterns(module) -> list[URLPattern]:
    """Every route of ``module``, included ones too (reversible by name)."""
    found = []
    for entry in module.urlpatterns:
        if isinstance(entry, URLPattern):
            found.append(entry)
        elif isinstance(entry, URLResolver):
            found.extend(_patterns(entry.urlconf_module))
    return found


@pytest.mark.parametrize("pattern", _patterns(crm_urls), ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_crm_session_of_crm_a_opens_nothing_in_crm_b(
    client, crm_a, crm_b, staff_a, staff_b, pattern, method
):
    client.post(
        reverse("crm:login", kwargs={"slug": crm_a.slug}),
        {"email": staff_a.email, "password": DEFAULT_PASSWORD},
    )
    kwargs = {"slug": crm_b.slug}
    kwargs.update(
        {
            k: v
            for k, v in SAMPLE_KWARGS.items()
            if k in pattern.pattern.regex.groupindex
        }
    )
    url = reverse(f"crm:{pattern.name}", kwargs=kwargs)

    response = getattr(client, method)(url)

    body = response.content.decode()
    assert staff_b.email not in body
    assert staff_b.name not in body
    assert response.status_code in (200, 302, 400, 403, 405)
    if response.status_code == 302:
        assert response.url.startswith(f"/c/{crm_b.slug}/")
    if response.status_code in (200, 400):
        # Only CRM B's pages for signing in answer, and they show no one's data.
        assert pattern.name in PUBLIC_PAGES


def _params(pattern) -> set[str]:
    return set(pattern.pattern.regex.groupindex)


@pytest.mark.parametrize(
    "pattern",
    [p for p in _patterns(crm_urls) if _params(p) & ID_PARAMETERS],
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_admin_of_crm_a_using_ids_of_crm_b_gets_404(
    client, crm_a, crm_b, staff_b, pattern, method
):
    from crm.models import CrmUser
    from tests.factories import CrmGroupFactory

    owner_a = CrmUser.objects.get(crm=crm_a, role="owner")
    client.post(
        reverse("crm:login", kwargs={"slug": crm_a.slug}),
        {"email": owner_a.email, "password": DEFAULT_PASSWORD},
    )
    from crm.models import ApiKey, BulkDeleteJob, RecordImport
    from tests.factories import (
        CompanyFactory,
        ContactFactory,
        DealFactory,
        PipelineStatusFactory,
    )

    record_factory = {"company": CompanyFactory, "deal": DealFactory}.get(
        pattern.name.split("_")[0], ContactFactory
    )
    foreign_ids = {
        "crm_user_id": staff_b.pk,
        "group_id": CrmGroupFactory(crm=crm_b).pk,
        "record_id": record_factory(responsible=staff_b).pk,
        "job_id": BulkDeleteJob.objects.create(crm=crm_b, entity="contact").pk,
        # An import of CRM B's, done, so that undoing it would be allowed there.
        "import_id": RecordImport.objects.create(
            crm=crm_b, entity="contact", requested_by=staff_b, status="done"
        ).pk,
        "api_key_id": ApiKey.objects.create(
            crm=crm_b, name="B", prefix="crm_b", key_hash="b" * 64
        ).pk,
    }
    status_b = PipelineStatusFactory(pipeline__crm=crm_b, name="Hijack")
    foreign_ids["status_id"] = status_b.pk
    foreign_ids["pipeline_id"] = status_b.pipeline_id
    from crm.models import Task, TaskType
    from tests.factories import TaskFactory

    task_b = TaskFactory(responsible=staff_b, text="B's task")
    foreign_ids["task_id"] = task_b.pk
    foreign_ids["task_type_id"] = TaskType.objects.create(crm=crm_b, name="B's").pk
    from crm.models import CustomField

    field_b = CustomField.objects.create(
        crm=crm_b, entity="contact", name="B's field", type="text"
    )
    foreign_ids["field_id"] = field_b.pk
    kwargs = {"slug": crm_a.slug}
    kwargs.update({k: foreign_ids[k] for k in _params(pattern) & ID_PARAMETERS})
    if "action" in _params(pattern):
        kwargs["action"] = "delete"
    url = reverse(f"crm:{pattern.name}", kwargs=kwargs)

    response = getattr(client, method)(url, {"name": "Hijack", "recipient": ""})

    assert response.status_code in (404, 405)
    model = record_factory._meta.model
    assert model.objects.filter(pk=foreign_ids["record_id"]).exists()
    staff_b.refresh_from_db()
    assert staff_b.is_active
    assert staff_b.name != "Hijack"
    # The board's routes (a column, quick-add, the pipeline's set-up) changed
    # nothing of CRM B's and added nothing there.
    status_b.refresh_from_db()
    assert status_b.name == "Hijack"
    assert not DealFactory._meta.model.objects.filter(name="Hijack").exists()
    # The task routes neither completed, changed nor deleted CRM B's task or type.
    task_b.refresh_from_db()
    assert (task_b.completed_at, task_b.text) == (None, "B's task")
    assert TaskType.objects.filter(pk=foreign_ids["task_type_id"]).exists()
    assert Task.objects.filter(crm=crm_a).count() == 0
    # The import routes neither undid nor ran CRM B's import.
    assert RecordImport.objects.get(pk=foreign_ids["import_id"]).status == "done"
    # The custom field routes changed nothing of CRM B's field.
    field_b.refresh_from_db()
    assert (field_b.name, field_b.is_required) == ("B's field", False)


@pytest.mark.parametrize("entity", ["contact", "company", "deal"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_task_cannot_be_opened_on_another_crms_record(
    client, crm_a, crm_b, staff_b, entity, method
):
    from crm.models import CrmUser, Task
    from tests.factories import CompanyFactory, ContactFactory, DealFactory

    factory = {"contact": ContactFactory, "company": CompanyFactory}.get(
        entity, DealFactory
    )
    record_b = factory(responsible=staff_b, name="B record")
    owner_a = CrmUser.objects.get(crm=crm_a, role="owner")
    client.post(
        reverse("crm:login", kwargs={"slug": crm_a.slug}),
        {"email": owner_a.email, "password": DEFAULT_PASSWORD},
    )
    url = reverse("crm:task_new", kwargs={"slug": crm_a.slug})
    data = {
        "entity": entity,
        "record_id": record_b.pk,
        "text": "Hijack",
        "type": "call",
        "due_at": "2030-01-01T10:00",
        "responsible": owner_a.pk,
    }

    response = getattr(client, method)(url, data)

    assert response.status_code == 404
    assert "B record" not in response.content.decode()
    assert not Task.objects.exists()


def test_the_tasks_page_filtered_by_another_crms_user_shows_nothing(
    client, crm_a, staff_b
):
    from crm.models import CrmUser
    from tests.factories import TaskFactory

    TaskFactory(responsible=staff_b, text="B's secret task")
    owner_a = CrmUser.objects.get(crm=crm_a, role="owner")
    client.post(
        reverse("crm:login", kwargs={"slug": crm_a.slug}),
        {"email": owner_a.email, "password": DEFAULT_PASSWORD},
    )

    page = client.get(
        reverse("crm:task_list", kwargs={"slug": crm_a.slug}),
        {"responsible": staff_b.pk},
    )

    assert page.status_code == 200
    assert "B&#x27;s secret task" not in page.content.decode()
    assert staff_b.name not in page.content.decode()


@pytest.mark.parametrize(
    "pattern",
    [p for p in _patterns(portal_urls) if "crm_id" in p.pattern.regex.groupindex],
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_portal_urls_with_another_accounts_crm_id_are_404(
    client, crm_a, crm_b, pattern, method
):
    client.force_login(crm_a.owner)
    kwargs = {"crm_id": crm_b.pk}
    if "export_id" in pattern.pattern.regex.groupindex:
        from crm.models import CrmExport

        kwargs["export_id"] = CrmExport.objects.create(
            crm=crm_b, requested_by_id=crm_b.owner_id, status="done", file_name="b.zip"
        ).pk
    url = reverse(f"portal:{pattern.name}", kwargs=kwargs)
    response = getattr(client, method)(url)
    assert response.status_code in (404, 405)
    if method == "get" and pattern.name == "crm_row":
        assert response.status_code == 404
    if method == "post" and pattern.name == "crm_enter":
        assert response.status_code == 404
