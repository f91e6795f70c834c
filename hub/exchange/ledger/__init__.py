"""The reciprocity ledger, its monthly roll-up, and a partner's timeline for auditors."""
