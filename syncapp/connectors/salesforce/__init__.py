"""The Salesforce connector — the only code in the hub that imports `simple_salesforce`, and the
Salesforce port the flows use, as `BillingConnector` is billing's.

- `connector.py`: `SalesforceConnector` (logins, sessions, calls), with the port mixed in:
  - `accounts.py`: the Accounts a buyer matches; the Accounts and Contacts the hub creates;
  - `order_port.py`: Orders read as drafts, written as graphs, their billing ids, status, deletion;
  - `catalog.py`: the standard price book's entries by SKU, and the checks of staff's mappings;
  - `follow_ups.py`: the Task for an abandoned cart;
  - `changes.py`: Orders changed since a watermark;
- `sessions.py`: sessions shared by every job and process through Django's cache;
- `errors.py`: Salesforce's answers mapped onto transient / permanent / not-found;
- `recording.py`: each HTTP exchange as a redacted `CallRecord`;
- `soql.py`: safe SOQL literals and record clean-up;
- `orders.py`: a draft order as the composite graph that writes it, and an Order read back as one
  (pure translation).
"""
from .connector import SalesforceConnector
from .errors import graph_error, graph_halted, node_error, record_error
from .soql import soql, soql_quote, strip_attributes

__all__ = ["SalesforceConnector", "graph_error", "graph_halted", "node_error", "record_error", "soql",
           "soql_quote", "strip_attributes"]
