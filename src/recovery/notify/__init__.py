"""Notifications: outbox dispatch and the sinks (log, http, smtp)."""
