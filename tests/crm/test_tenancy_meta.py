"""The tenancy rules of docs/architecture.md, checked over every model the project
has."""

from django.apps import apps
from django.db import models

from crm.models import Crm, CrmScopedModel

PROJECT_APPS = {"accounts", "crm", "portal", "billing", "outbox"}


def _project_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def _points_at_crm(model) -> bool:
    return any(
        isinstance(field, models.ForeignKey) and field.related_model is Crm
        for field in model._meta.get_fields()
        if field.concrete
    )


def test_every_model_holding_crm_data_uses_the_scoped_base():
    offenders = [
        model.__name__
        for model in _project_models()
        if model is not Crm
        and _points_at_crm(model)
        and not issubclass(model, CrmScopedModel)
    ]
    assert offenders == []


def test_scoped_models_have_a_non_null_indexed_crm_and_crm_first_indexes():
    scoped = [m for m in _project_models() if issubclass(m, CrmScopedModel)]
    assert scoped, "the meta-test must see the CRM-owned models"
    for model in scoped:
        crm_field = model._meta.get_field("crm")
        assert not crm_field.null, model
        assert crm_field.db_index, model
        assert hasattr(model.objects, "for_crm"), model
        for index in model._meta.indexes:
            # A search index is of expressions, the CRM's id first.
            first = index.fields[0] if index.fields else index.expressions[0].name
            assert first.lstrip("-") == "crm", (model, index.name)
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint):
                continue  # a check constraint reads one row; no index behind it
            fields = getattr(constraint, "fields", ()) or ()
            expressions = getattr(constraint, "expressions", ()) or ()
            first = fields[0] if fields else getattr(expressions[0], "name", None)
            if first is None and expressions:
                first = str(expressions[0])
            assert "crm" in str(first), (model, constraint.name)


def test_purge_registry_holds_every_crm_owned_model_children_first():
    from crm.purge import PURGE_ORDER

    scoped = {m for m in _project_models() if issubclass(m, CrmScopedModel)}
    assert set(PURGE_ORDER) == scoped
    position = {model: index for index, model in enumerate(PURGE_ORDER)}
    for model in PURGE_ORDER:
        for field in model._meta.get_fields():
            target = getattr(field, "related_model", None)
            if not (field.concrete and field.is_relation) or target is model:
                continue
            if target in position:
                # What it points at must still exist when its own rows go.
                assert position[target] > position[model], (model, field.name)


def test_models_keeping_a_crm_id_as_a_plain_value_are_left_by_the_purge_on_purpose():
    from crm.models import CrmTombstone
    from crm.purge import PURGE_KEEPS

    keeping = {
        model._meta.label
        for model in _project_models()
        if model is not CrmTombstone
        and any(
            field.concrete and not field.is_relation and field.attname == "crm_id"
            for field in model._meta.get_fields()
        )
    }
    assert keeping == set(PURGE_KEEPS)
    for label in PURGE_KEEPS:
        model = apps.get_model(label)
        assert not issubclass(model, CrmScopedModel), label
        assert not _points_at_crm(model), label
