"""One UPDATE for many rows, each with values of its own."""
from __future__ import annotations

from typing import Any

from django.db import connection, models


def update_each(model: type[models.Model], rows: dict[Any, dict[str, Any]], same: dict[str, Any] | None = None, *,
                where: dict[str, Any] | None = None) -> int:
    """Set each row's own values (`rows`: pk → field → value, the same fields for every row) and the
    values every row gets (`same`), in one statement, on the rows of `rows` that also match `where`
    (field → value); returns how many rows it updated.

    The statement is written out (`SET f = CASE id WHEN … THEN … END`), as Django's `bulk_update`
    writes it, because `bulk_update` builds and compiles a lookup per row and field: for a batch of
    orders that cost more CPU than the rest of recording them."""
    if not rows:
        return 0
    meta, quote = model._meta, connection.ops.quote_name
    pk = quote(meta.pk.column)

    def field(name: str) -> models.Field:
        found = meta.get_field(name)
        assert isinstance(found, models.Field), f"{name} is not a column of {meta.label}"
        return found

    def column(name: str) -> str:
        return quote(field(name).column)

    def value_of(name: str, value: Any) -> Any:
        return field(name).get_db_prep_save(value, connection)

    sets: list[str] = []
    params: list[Any] = []
    for name in next(iter(rows.values())):
        case = f"CASE {pk} {' '.join(['WHEN %s THEN %s'] * len(rows))} END"
        if connection.features.requires_casted_case_in_updates:  # PostgreSQL types each branch
            case = f"CAST({case} AS {field(name).db_type(connection)})"
        sets.append(f"{column(name)} = {case}")
        for key, values in rows.items():
            params += [key, value_of(name, values[name])]
    for name, value in (same or {}).items():
        sets.append(f"{column(name)} = %s")
        params.append(value_of(name, value))
    conditions = [f"{pk} IN ({', '.join(['%s'] * len(rows))})"]
    params += list(rows)
    for name, value in (where or {}).items():
        conditions.append(f"{column(name)} = %s")
        params.append(value_of(name, value))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} WHERE {' AND '.join(conditions)}", params)
        return cursor.rowcount
