"""Reading imports: the ones a person may see, and an import's report."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from crm.models import Crm, CrmUser, RecordImport, RecordImportRow


def imports_visible(*, crm: Crm, actor: CrmUser) -> QuerySet[RecordImport]:
    """Newest first: the actor's own imports; an administrator's, everyone's."""
    imports = RecordImport.objects.for_crm(crm).select_related("requested_by")
    if not actor.is_admin:
        imports = imports.filter(requested_by=actor)
    return imports.order_by("-created_at", "-pk")


def import_report_page(
    *, record_import: RecordImport, limit: int
) -> list[RecordImportRow]:
    """The report's rows a person reads first: refused, then skipped, then
    updated, then created, each in the file's order."""
    order = Case(
        *(
            When(outcome=outcome, then=Value(rank))
            for rank, outcome in enumerate(
                (
                    RecordImportRow.Outcome.REFUSED,
                    RecordImportRow.Outcome.SKIPPED,
                    RecordImportRow.Outcome.UPDATED,
                    RecordImportRow.Outcome.CREATED,
                )
            )
        ),
        output_field=IntegerField(),
    )
    return list(
        RecordImportRow.objects.for_crm(record_import.crm_id)
        .filter(record_import=record_import)
        .annotate(rank=order)
        .order_by("rank", "line")[:limit]
    )
