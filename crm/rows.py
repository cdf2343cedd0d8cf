"""Model instances from rows of hand-written SQL, converted exactly as the ORM
converts them (``from_db_value``, SQLite's text dates and integer booleans).

For the few statements on every request's path (signing in, Enter) where the ORM
spends longer building the query and the objects than the database answering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
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


def prepared_cursor(connection: Any) -> Any:
    """A cursor for these statements that PostgreSQL prepares once per connection.

    The project's other queries bind their parameters on the client, as Django
    does by default: such a statement cannot be prepared, but it takes any number
    of parameters (an ``id__in`` of 100,000 ids). The statements here have a few
    parameters each and run on every request, so they are sent with server-side
    binding, which psycopg prepares after their fifth run on the connection
    (``prepare_threshold``): PostgreSQL then skips parsing and planning them.
    Elsewhere, or with ``DATABASE_PREPARED_STATEMENTS=off``, a plain cursor."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return connection.cursor()
    import psycopg

    # What ``connection.cursor()`` does, with psycopg's server-binding cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)
