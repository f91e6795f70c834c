"""The embedded broker's transport: kombu's SQLAlchemy transport on an SQLite file in the instance
folder, polled ten times a second instead of once, so a file uploaded on one machine with no
broker service starts within a tenth of a second. Idle polling is one small query."""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport

SCHEME = "hubsqlite"
POLLING_INTERVAL_S = 0.1


class Transport(SQLAlchemyTransport):
    polling_interval = POLLING_INTERVAL_S


def url_for(path: str) -> str:
    """The broker URL of the embedded broker whose file is at ``path`` (absolute)."""
    return f"{SCHEME}+sqlite:///{path}"


def file_of(url: str) -> str | None:
    """The file of an embedded broker's URL, or None when the URL names another broker."""
    for prefix in (f"{SCHEME}+sqlite:///", "sqla+sqlite:///"):
        if url.startswith(prefix):
            return url.removeprefix(prefix)
    return None


TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
