"""Logging set-up: the level from ``HUB_LOG_LEVEL``, with floors for chatty libraries.

Some libraries log secrets or personal data when they are most verbose: authlib logs every
access token it issues at DEBUG, SQLAlchemy's engine logs each statement with its parameters
(narratives included) at INFO, botocore logs request bodies at DEBUG. Those loggers never go
below the floors here, whatever level the hub runs at.
"""

from __future__ import annotations

import logging

LIBRARY_FLOORS = {
    "authlib": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.pool": logging.INFO,
    "botocore": logging.INFO,
    "boto3": logging.INFO,
    "s3transfer": logging.INFO,
    "urllib3": logging.INFO,
    "presidio-analyzer": logging.INFO,
    "presidio-anonymizer": logging.INFO,
}


def level_number(level: str | int) -> int:
    if isinstance(level, int):
        return level
    number = logging.getLevelNamesMapping().get(level.strip().upper())
    if number is None:
        raise ValueError(f"not a logging level: {level!r}")
    return number


def configure_logging(level: str | int) -> None:
    """Log at ``level`` (to stderr unless logging is already set up), libraries at their floor."""
    number = level_number(level)
    logging.basicConfig(level=number)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, number))
