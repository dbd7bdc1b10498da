"""Small database helpers shared by apps."""

from typing import Any

from django.db import connection, models


def nearest_values(
    model: type[models.Model], field: str, *, below: Any, above: Any
) -> tuple[Any, Any]:
    """The largest ``field`` value under ``below`` and the smallest over ``above``.

    One query of two index probes (max/min over an indexed column), e.g. for previous/next
    links that skip days without rows; None where there is none.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    with connection.cursor() as cursor:
        cursor.execute(
            # Table and column names come from the model, never from input.
            f"SELECT (SELECT max({column}) FROM {table} WHERE {column} < %s),"  # noqa: S608
            f" (SELECT min({column}) FROM {table} WHERE {column} > %s)",
            [below, above],
        )
        return cursor.fetchone()
