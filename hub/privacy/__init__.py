"""Privacy rules."""
