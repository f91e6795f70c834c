"""The exchange: records in, datasets and outcomes out, notices, the ledger, insight.

Only sub-packages live here, one per responsibility (see docs/architecture.md).
"""
