"""Logging set-up: the level from ``HUB_LOG_LEVEL``; libraries at WARNING unless it is DEBUG,
and never below their floors.

Some libraries log secrets or personal data when they are most verbose: authlib logs every
access token it issues at DEBUG, SQLAlchemy's engine logs each statement with its parameters
(narratives included) at INFO, botocore logs request bodies at DEBUG. Those loggers never go
below the floors here, whatever level the hub runs at.

Request lines are logged without their query strings, which can carry what someone typed into a
search (a name, a postcode): werkzeug's here, gunicorn's in hub/serve.py.
"""

from __future__ import annotations

import logging
import re

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
    "apscheduler": logging.DEBUG,
}


# A path's query string: up to the protocol of a request line (a decoded query may hold spaces),
# or else up to the next space or quote.
_QUERY_STRING = re.compile(r"(/[^\s?#\"']*)\?(?:[^\n]*?(?=\sHTTP/\d)|[^\s\"']*)")


def without_query_strings(text: str) -> str:
    """``text`` with the query string cut from every path in it: ``GET /a?q=x`` → ``GET /a``."""
    return _QUERY_STRING.sub(r"\1", text)


class NoQueryStrings(logging.Filter):
    """Cuts query strings out of the messages of the logger it is added to."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = without_query_strings(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def cut_query_strings(logger: logging.Logger) -> None:
    """Add ``NoQueryStrings`` to ``logger`` unless it is there already."""
    if not any(isinstance(f, NoQueryStrings) for f in logger.filters):
        logger.addFilter(NoQueryStrings())


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
    # A normal run shows what the hub says and libraries' warnings, not their chatter ("Pool
    # recreating", "Using device of type: cpu"); at DEBUG libraries speak down to their floor.
    libraries = number if number <= logging.DEBUG else max(number, logging.WARNING)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, libraries))
    # The development server's request log (``werkzeug.serving``).
    cut_query_strings(logging.getLogger("werkzeug"))
