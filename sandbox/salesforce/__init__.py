"""An emulated Salesforce org (REST API, OAuth and SOAP login), served at /sandbox/salesforce when
HUB_SANDBOX=1, so the hub's real connector runs end to end without an account.

Besides Salesforce's own resources it serves `_control` (JSON, no auth), for tests and benchmarks:
GET returns the switches, `api_usage` and `counts` (calls per resource, plus `total`); POST sets
any of `latency_ms`, `fault_rates` ({fault: probability}), `timeout_seconds`, `fail_next` (faults
consumed one per data call), `daily_limit`, `duplicate_rules`, `field_changes` (see schema.py:
{"Account.Hub_Match_Key__c": "hidden" | "read_only" | "not_external_id"}), and performs `reset_counts`,
`expire_sessions`, `reset_org`. Faults: "503", "timeout", "UNABLE_TO_LOCK_ROW",
"INVALID_SESSION_ID", "REQUEST_LIMIT_EXCEEDED".
"""
