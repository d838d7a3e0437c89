"""The port's change feed: Orders changed since a `SystemModstamp` watermark, oldest first.

Salesforce compares SystemModstamp at whole seconds; the watcher (`syncapp.sync.watch`) keeps the
watermark and decides how to page through a crowded second, this module only reads.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .calls import SalesforceCalls
from .soql import soql

SECOND = dt.timedelta(seconds=1)
_FIELDS = "Id, Status, SystemModstamp"


@dataclass(frozen=True)
class OrderChange:
    order_id: str
    status: str
    modstamp: dt.datetime  # when Salesforce last changed the Order (SystemModstamp)


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("+0000", "+00:00").replace("Z", "+00:00"))


def _changes(rows: list[dict]) -> list[OrderChange]:
    return [OrderChange(r["Id"], r["Status"], _parse(r["SystemModstamp"])) for r in rows]


class ChangePort(SalesforceCalls):
    """Mixed into `SalesforceConnector`: what the Salesforce watcher reads."""

    def orders_changed_since(self, since: dt.datetime, limit: int) -> list[OrderChange]:
        """Up to `limit` Orders changed at or after `since`, by SystemModstamp then Id."""
        return _changes(self.query(soql(f"SELECT {_FIELDS} FROM Order WHERE SystemModstamp >= {{}} "
                                        "ORDER BY SystemModstamp, Id LIMIT {:literal}", since, str(limit))))

    def orders_changed_within(self, second: dt.datetime, after: str, limit: int) -> list[OrderChange]:
        """Up to `limit` Orders changed within the whole `second`, by Id, from past the Order Id
        `after` ("" for the second's start)."""
        past = soql("AND Id > {}", after) if after else ""  # Salesforce takes only a real Id after `Id >`
        return _changes(self.query(soql(f"SELECT {_FIELDS} FROM Order WHERE SystemModstamp >= {{}} AND "
                                        "SystemModstamp < {} {:literal} ORDER BY Id LIMIT {:literal}",
                                        second, second + SECOND, past, str(limit))))
