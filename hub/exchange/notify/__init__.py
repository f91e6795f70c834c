"""Notices owed to other organisations and their delivery: the outbox and webhooks."""
