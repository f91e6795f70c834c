"""Safeguarding: classification of experience narratives and the escalation queue."""
