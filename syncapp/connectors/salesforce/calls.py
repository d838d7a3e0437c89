"""The generic Salesforce calls the port's methods (accounts, orders, catalog, follow-ups,
changes) are built on. `SalesforceConnector` implements them; this base only declares them, so
each port module reads on its own and type-checks."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncapp.conf import SalesforceConfig


class SalesforceCalls:
    config: SalesforceConfig

    if TYPE_CHECKING:
        def query_iter(self, soql: str, *, include_deleted: bool = False,
                       batch_size: int | None = None) -> Iterator[dict]: ...

        def query(self, soql: str, **options: Any) -> list[dict]: ...

        def get(self, sobject: str, record_id: str, fields: Iterable[str] | None = None) -> dict: ...

        def create(self, sobject: str, data: dict) -> str: ...

        def update(self, sobject: str, record_id: str, data: dict) -> None: ...

        def delete(self, sobject: str, record_id: str) -> None: ...

        def upsert(self, sobject: str, ext_field: str, ext_value: str | int, data: dict) -> tuple[str, bool]: ...

        def describe(self, sobject: str) -> dict: ...

        def graph(self, graphs: list[dict], *, raise_on_failure: bool = True) -> list[dict]: ...

        def collection_update(self, records: list[dict], all_or_none: bool = True) -> list[dict]: ...

        def data_path(self, path: str) -> str: ...
