"""The sync flows: checkout, billing → Salesforce order sync, Salesforce → billing "Sync Order",
activation, reconcile, deletion, backfill, cart abandonment and the watchers. Each flow takes the
vendors' connectors, speaks in domain terms (`syncapp.domain`) and leaves retries to the job engine."""
