"""Organisations, agreements, portal users, OAuth clients and tokens."""
