"""The shared core: settings, database, schema, events, runtime state, leases, config."""
