"""The port's follow-ups: a Task for the owner of the Account an Order belongs to."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from syncapp.exceptions import NotFoundError

from .calls import SalesforceCalls
from .soql import soql


@dataclass(frozen=True)
class AccountOwner:
    """The Account an Order belongs to: its owner (a User Id) and its name."""

    owner_id: str
    account_name: str


@dataclass(frozen=True)
class FollowUpTask:
    """A Task about a record (`what_id`) for a user to act on."""

    subject: str
    what_id: str
    owner_id: str
    due: dt.date
    description: str
    priority: str = "High"
    status: str = "Not Started"


class FollowUpPort(SalesforceCalls):
    """Mixed into `SalesforceConnector`: the Tasks the hub creates."""

    def find_task(self, what_id: str, subject_prefix: str) -> str | None:
        """A Task about `what_id` whose subject starts with `subject_prefix`; None when there is none."""
        rows = self.query(soql("SELECT Id FROM Task WHERE WhatId = {} AND Subject LIKE '{:like}%' LIMIT 1",
                               what_id, subject_prefix))
        return rows[0]["Id"] if rows else None

    def order_account_owner(self, order_id: str) -> AccountOwner:
        """The owner and name of the Order's Account; NotFoundError when there is no such Order."""
        rows = self.query(soql("SELECT Account.OwnerId, Account.Name FROM Order WHERE Id = {}", order_id))
        if not rows:
            raise NotFoundError(f"No Salesforce Order {order_id}", code="NOT_FOUND", vendor="salesforce")
        account = rows[0]["Account"]
        return AccountOwner(account["OwnerId"], account["Name"])

    def create_task(self, task: FollowUpTask) -> str:
        """Create the Task; returns its Id."""
        return self.create("Task", {
            "Subject": task.subject, "WhatId": task.what_id, "OwnerId": task.owner_id,
            "ActivityDate": task.due.isoformat(), "Status": task.status, "Priority": task.priority,
            "Description": task.description})
