"""Alembic environment: the target is the hub's models; the URL comes from the caller."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from hub.config import Settings
from hub.db import make_engine
from hub.models import metadata

config = context.config


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Render the hub's own column types through hub.db, which migrations import.
    from hub.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "hub.db.UTCDateTime()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `hub db upgrade`")
run_migrations_online()
