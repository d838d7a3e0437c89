"""The Salesforce connector — the only code in the hub that imports `simple_salesforce`.

- `connector.py`: `SalesforceConnector` (logins, sessions, calls, operations);
- `sessions.py`: sessions shared by every job and process through Django's cache;
- `errors.py`: Salesforce's answers mapped onto transient / permanent / not-found;
- `recording.py`: each HTTP exchange as a redacted `CallRecord`;
- `soql.py`: safe SOQL literals and record clean-up;
- `orders.py`: a billing draft order as the composite graph that writes it (pure translation).
"""
from .connector import SalesforceConnector
from .errors import graph_error, graph_halted, node_error, record_error
from .soql import soql, soql_quote, strip_attributes

__all__ = ["SalesforceConnector", "graph_error", "graph_halted", "node_error", "record_error", "soql",
           "soql_quote", "strip_attributes"]
