"""Model instances from rows of hand-written SQL, converted exactly as the ORM
converts them (``from_db_value``, SQLite's text dates and integer booleans).

For the few statements on every request's path (signing in, Enter) where the ORM
spends longer building the query and the objects than the database answering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Field, Model

# (attribute name, column expression, converters) for each selected column.
Loader = tuple[str, Any, list]


def model_columns(
    connection: Any,
    model: type[Model],
    table_alias: str,
    fields: Sequence[Field] | None = None,
) -> tuple[list[str], list[Loader]]:
    """The SELECT (or RETURNING) items for ``fields`` of ``model`` (all its
    concrete fields by default) read through ``table_alias``, and their loaders."""
    quote = connection.ops.quote_name
    sql, loaders = [], []
    for field in fields if fields is not None else model._meta.concrete_fields:
        sql.append(f"{table_alias}.{quote(field.column)}")
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(
            connection
        )
        loaders.append((field.attname, col, converters))
    return sql, loaders


def model_from_row(
    model: type[Model], connection: Any, loaders: list[Loader], values: Sequence
) -> Model:
    converted = []
    for (_attname, col, converters), value in zip(loaders, values, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        converted.append(value)
    return model.from_db(
        connection.alias, [attname for attname, _col, _c in loaders], converted
    )
