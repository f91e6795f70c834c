"""Consent: what each person agreed to, the receipt they can be shown, and withdrawal."""
