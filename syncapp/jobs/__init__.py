"""The job engine: durable `SyncJob` rows, claimed under leases by django-q2 workers, retried with
backoff and swept when a worker dies (`engine`); named leases (`leases`); the Salesforce API
allocation that paces non-urgent work (`allocation`); the queue's heartbeat and the retention sweep.
Which function runs each kind of job is declared where the function lives, with `kinds.handles`."""
