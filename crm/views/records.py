"""Contacts, companies and deals: lists with filters and bulk deletion, cards with
edit, archive, notes and delete, and the record forms' pickers (the deals board is
views/board.py).

One view serves the three kinds of record: crm/urls.py names the kind of each
route (``{"entity": "contact"}``) and crm/entities.py says what that kind is."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.entities import record_kind
from crm.forms.records import RECORD_FORMS, RecordLinkForm, picker_chosen
from crm.forms.tasks import TaskForm
from crm.models import BulkDeleteJob, CrmUser
from crm.models.tenancy import id_from
from crm.rights import can
from crm.selectors.layouts import (
    cell_value,
    list_layout_get,
    parse_sort,
    records_for_columns,
    records_sorted,
)
from crm.selectors.paging import AFTER, BEFORE, keyset_page, page_count
from crm.selectors.records import records_filtered
from crm.selectors.tasks import record_open_tasks
from crm.selectors.timeline import TIMELINE_MAX, TIMELINE_PAGE, record_timeline
from crm.services.record_deletion import record_delete, records_delete
from crm.services.records import (
    custom_fields_for,
    note_add,
    record_get,
    record_links_add,
    record_save,
    record_set_archived,
    visible_records,
)
from crm.tenancy import crm_view

PAGE_SIZE = 50
FILTER_KEYS = ("q", "responsible", "archived")


def _page_url(request: HttpRequest, entity: str, page: str, **kwargs) -> str:
    """The URL of a page of this kind of record in this CRM (list, card, ...)."""
    return reverse(
        record_kind(entity).url_name(page), kwargs={"slug": request.crm.slug, **kwargs}
    )


def _filter_params(data: QueryDict) -> dict[str, str]:
    return {
        key: value
        for key, value in data.items()
        if (key in FILTER_KEYS or key.startswith("cf_")) and value
    }


def _refuse(
    request: HttpRequest, error: PermissionDenied | None = None
) -> HttpResponse:
    reason = str(error) if error else _("Your rights do not allow this.")
    return render(request, "403.html", {"reason": reason}, status=403)


@require_http_methods(["GET"])
@crm_view
def record_list(request: HttpRequest, entity: str) -> HttpResponse:
    if not can(request.crm_user, entity, "view"):
        return _refuse(request)
    params = _filter_params(request.GET)
    fields = custom_fields_for(crm=request.crm, entity=entity)
    # The person's columns and sort; a sort in the query string that names no
    # column of this list is ignored.
    layout = list_layout_get(
        crm=request.crm,
        actor=request.crm_user,
        entity=entity,
        custom_fields=fields,
        sort=request.GET.get("sort"),
    )
    records = records_sorted(
        records_filtered(
            crm=request.crm, actor=request.crm_user, entity=entity, params=params
        ),
        layout.sort,
    )
    # A page's records, read by id with what their columns show.
    shown = (
        ("responsible", "status", "pipeline") if entity == "deal" else ("responsible",)
    )
    fetch = records_for_columns(
        record_kind(entity).model.objects.select_related(*shown),
        layout.columns,
        crm=request.crm,
    )
    # Pages follow each other by keyset, counted only up to a limit: the cost
    # of a page does not grow with the CRM (selectors/paging.py).
    page = keyset_page(
        records,
        after=request.GET.get(AFTER),
        before=request.GET.get(BEFORE),
        size=PAGE_SIZE,
        fetch=fetch,
    )
    count = page_count(records, page)
    page_params = dict(params)
    if parse_sort(request.GET.get("sort"), layout.available):
        page_params["sort"] = layout.sort.value
    return render(
        request,
        "crm/records/list.html",
        {
            "entity": entity,
            "title": record_kind(entity).label,
            "kind": record_kind(entity),
            "page": page,
            "count": count,
            "next_link": page.link(AFTER),
            "previous_link": page.link(BEFORE),
            "columns": layout.columns,
            "sort": layout.sort,
            "rows": [
                (record, [(c, cell_value(record, c)) for c in layout.columns])
                for record in page
            ],
            "params": params,
            "querystring": urlencode(page_params),
            # Each custom field with the value it is filtered by now.
            "field_filters": [
                (field, params.get(f"cf_{field.pk}", "")) for field in fields
            ],
            "users": CrmUser.objects.for_crm(request.crm).order_by("name"),
            "can_create": can(request.crm_user, entity, "create"),
            "can_delete": can(request.crm_user, entity, "delete"),
            "can_export": can(request.crm_user, entity, "export"),
        },
    )


@require_http_methods(["GET", "POST"])
@crm_view
def record_form(
    request: HttpRequest, entity: str, record_id: int | None = None
) -> HttpResponse:
    """Create or edit a record through its form: the form checks what was
    submitted against this CRM's choices, the record service writes it."""
    record = None
    if record_id is not None:
        record = record_get(
            crm=request.crm, actor=request.crm_user, entity=entity, record_id=record_id
        )
        if not can(request.crm_user, entity, "edit", record):
            return _refuse(
                request, PermissionDenied(_("Your rights do not allow this."))
            )
    elif not can(request.crm_user, entity, "create"):
        return _refuse(request)
    heading = record.name if record is not None else None
    form = RECORD_FORMS[entity](
        request.POST if request.method == "POST" else None,
        instance=record,
        crm=request.crm,
        actor=request.crm_user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = record_save(
                crm=request.crm,
                actor=request.crm_user,
                entity=entity,
                record_id=record_id,
                data=form.service_data(),
                **form.contact_points(),
            )
        except PermissionDenied as error:
            return _refuse(request, error)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect(_page_url(request, entity, "card", record_id=saved.pk))
    return render(
        request,
        "crm/records/form.html",
        {
            "entity": entity,
            "title": record_kind(entity).label,
            "kind": record_kind(entity),
            "record": record,
            # The saved name: validation puts what was typed on the record.
            "heading": heading,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


PICKER_RESULTS = 20
# The form fields each picker serves.
PICKER_FIELDS = {
    "company": ("company", "companies"),
    "contact": ("contacts", "contact"),
    "deal": ("deal",),
}


@require_http_methods(["GET"])
@crm_view
def record_picker(request: HttpRequest, entity: str) -> HttpResponse:
    """A record form's searchable picker, drawn again with what is chosen now
    and the visible records whose name has the search text."""
    name = request.GET.get("field", "")
    if entity not in PICKER_FIELDS or name not in PICKER_FIELDS[entity]:
        raise Http404
    if not can(request.crm_user, entity, "view"):
        return _refuse(request)
    visible = visible_records(crm=request.crm, actor=request.crm_user, entity=entity)
    values = {v for v in request.GET.getlist(name) if v}
    if any(id_from(v) is None for v in values):
        return HttpResponseBadRequest(_("A record ID is a whole number."))
    chosen = picker_chosen(visible, values)
    if len(chosen) != len(values):
        raise Http404
    query = " ".join(request.GET.get("picker_q", "").split())[:200]
    results = visible.exclude(pk__in=[record.pk for record in chosen])
    if query:
        results = results.filter(name__icontains=query)
    picker = {
        "name": name,
        "multiple": request.GET.get("multiple") != "0",
        "url": request.path,
        "chosen": chosen,
        "results": list(
            results.order_by("name", "pk").only("pk", "name")[:PICKER_RESULTS]
        ),
        "query": query,
        "entity": entity,
    }
    return render(request, "crm/widgets/_record_picker_body.html", {"picker": picker})


@require_http_methods(["GET"])
@crm_view
def record_card(request: HttpRequest, entity: str, record_id: int) -> HttpResponse:
    record = record_get(
        crm=request.crm, actor=request.crm_user, entity=entity, record_id=record_id
    )
    fields = custom_fields_for(crm=request.crm, entity=entity)
    custom = [(field, record.custom.get(str(field.pk))) for field in fields]
    # Linked records are named only where the person may see them.
    crm, actor = request.crm, request.crm_user
    contacts = visible_records(crm=crm, actor=actor, entity="contact")
    companies = visible_records(crm=crm, actor=actor, entity="company")
    linked: dict = {}
    if entity == "contact":
        linked["companies"] = companies.filter(contacts=record)
    elif entity == "company":
        linked["people"] = contacts.filter(companies=record)
    else:
        linked["people"] = contacts.filter(deals=record)
        linked["company"] = companies.filter(pk=record.company_id).first()
        linked["company_hidden"] = bool(record.company_id and not linked["company"])
    can_edit = can(actor, entity, "edit", record)
    # The timeline shows a page of its newest items; "Show more" asks for more.
    wanted = id_from(request.GET.get("timeline")) or TIMELINE_PAGE
    limit = min(wanted, TIMELINE_MAX)
    timeline, timeline_more = record_timeline(
        crm=crm, actor=actor, entity=entity, record=record, limit=limit
    )
    return render(
        request,
        "crm/records/card.html",
        {
            "entity": entity,
            "title": record_kind(entity).label,
            "kind": record_kind(entity),
            "record": record,
            "custom": custom,
            "timeline": timeline,
            "timeline_more": limit + TIMELINE_PAGE if timeline_more else None,
            "open_tasks": record_open_tasks(
                crm=crm, actor=actor, entity=entity, record=record
            ),
            "task_form": (
                TaskForm(crm=crm, actor=actor, entity=entity, record=record)
                if can_edit
                else None
            ),
            "link_form": (
                RecordLinkForm(crm=crm, actor=actor, entity=entity)
                if can_edit and entity in RecordLinkForm.LINKS
                else None
            ),
            "now": timezone.now(),
            "people": linked.get("people", contacts.none()).order_by("name")[:200],
            "companies": linked.get("companies", companies.none()).order_by("name"),
            "company": linked.get("company"),
            "company_hidden": linked.get("company_hidden", False),
            "can_edit": can_edit,
            "can_delete": can(request.crm_user, entity, "delete", record),
        },
    )


@require_POST
@crm_view
def record_action(
    request: HttpRequest, entity: str, record_id: int, action: str
) -> HttpResponse:
    if action not in ("delete", "archive", "restore", "note", "link"):
        raise Http404
    try:
        if action == "delete":
            record_delete(
                crm=request.crm,
                actor=request.crm_user,
                entity=entity,
                record_id=record_id,
            )
            messages.success(request, _("Deleted."))
            return redirect(_page_url(request, entity, "list"))
        if action in ("archive", "restore"):
            record_set_archived(
                crm=request.crm,
                actor=request.crm_user,
                entity=entity,
                record_id=record_id,
                archived=action == "archive",
            )
            messages.success(
                request, _("Archived.") if action == "archive" else _("Restored.")
            )
        elif action == "link":
            form = RecordLinkForm(
                request.POST, crm=request.crm, actor=request.crm_user, entity=entity
            )
            if not form.is_valid():
                raise ValidationError(
                    [error for errors in form.errors.values() for error in errors]
                )
            added = record_links_add(
                crm=request.crm,
                actor=request.crm_user,
                entity=entity,
                record_id=record_id,
                ids=form.linked_ids(),
            )
            messages.success(request, _("%(count)d linked.") % {"count": added})
        elif action == "note":
            note_add(
                crm=request.crm,
                actor=request.crm_user,
                entity=entity,
                record_id=record_id,
                text=request.POST.get("text", ""),
            )
    except PermissionDenied as error:
        return _refuse(request, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_page_url(request, entity, "card", record_id=record_id))


@require_POST
@crm_view
def record_bulk_delete(request: HttpRequest, entity: str) -> HttpResponse:
    """Tick rows (ids) or "all matching this filter" → confirm the exact number →
    delete, inline or as a job with progress."""
    if request.POST.get("all_matching") == "1":
        params = _filter_params(request.POST)
        ids = list(
            records_filtered(
                crm=request.crm, actor=request.crm_user, entity=entity, params=params
            ).values_list("pk", flat=True)
        )
        description = urlencode(params) or _("all")
    else:
        # What cannot be an id ("²", "-1", 30 digits) names no row: left out.
        ids = [i for i in map(id_from, request.POST.getlist("ids")) if i is not None]
        description = _("selected rows")
    if not ids:
        messages.error(request, _("Nothing was selected."))
        return redirect(_page_url(request, entity, "list"))
    confirmed = request.POST.get("confirmed_count")
    if request.POST.get("confirm") == "1" and confirmed != str(len(ids)):
        # Records matching the filter came or went since the person confirmed:
        # they confirm the number that would go now.
        messages.warning(
            request,
            _("The list changed since you confirmed. Check the number again."),
        )
    elif request.POST.get("confirm") == "1":
        confirmed = None
    if confirmed is not None or request.POST.get("confirm") != "1":
        return render(
            request,
            "crm/records/bulk_confirm.html",
            {
                "entity": entity,
                "title": record_kind(entity).label,
                "kind": record_kind(entity),
                "count": len(ids),
                "ids": ids if request.POST.get("all_matching") != "1" else [],
                "post": request.POST,
                "params": _filter_params(request.POST),
            },
        )
    try:
        result = records_delete(
            crm=request.crm,
            actor=request.crm_user,
            entity=entity,
            ids=ids,
            description=description,
        )
    except PermissionDenied as error:
        return _refuse(request, error)
    if result.job is not None:
        return redirect("crm:job", slug=request.crm.slug, job_id=result.job.pk)
    messages.success(
        request, _("%(count)d records deleted.") % {"count": len(result.deleted)}
    )
    return redirect(_page_url(request, entity, "list"))


@require_http_methods(["GET"])
@crm_view
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = BulkDeleteJob.objects.for_crm(request.crm).filter(pk=job_id).first()
    if job is None:
        raise Http404
    template = "crm/records/_job.html" if request.htmx else "crm/records/job.html"
    return render(request, template, {"job": job})
