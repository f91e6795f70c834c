"""Notices owed to other organisations and their delivery: webhook endpoints, deliveries (one
row per event and endpoint, with its attempts), signing, and the e-mails features send."""
