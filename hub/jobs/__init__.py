"""Scheduled jobs: a registry of job functions, a runner that locks and records every run."""
