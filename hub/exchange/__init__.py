"""The exchange: records in, datasets and outcomes out, deliveries, the ledger, webhooks."""
