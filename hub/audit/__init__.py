"""The hash-chained audit log, its verification and seals."""
