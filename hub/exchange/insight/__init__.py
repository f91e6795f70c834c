"""What the records add up to: location insight, coverage, reconciliation reports."""
