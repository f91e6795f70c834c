"""Glue between Flask requests and the hub: the request's one transaction, actor and request id.

Every request has at most one session (``db()``), opened on first use. When the view returns,
its transaction is committed (``HubFlask.dispatch_request``); when anything raises, nothing is
committed and the session is rolled back as the request ends. Views never commit. Work that
must wait for the commit (handing a stored file to a worker) is registered with
``after_commit``. A failed commit is an error of the request like any other (a lost database
answers 503), raised before any byte of the answer is sent.
"""

from __future__ import annotations

import itertools
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map

from hub.actor import Actor
from hub.audit.checkpoints import take_receipts_given, write_checkpoint
from hub.audit.keys import signing_key
from hub.clock import utcnow
from hub.context import HubContext
from hub.errors import BAD_TEXT
from hub.jsonio import OrjsonProvider
from hub.storage import attachment_disposition

log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


def hub_context(app: Flask | None = None) -> HubContext:
    ctx: HubContext = (app or current_app).extensions["hub"]
    return ctx


def db() -> Session:
    """The request's session; the request owns its one transaction."""
    session: Session | None = g.get("_db_session")
    if session is None:
        session = hub_context().session_factory()
        g._db_session = session
    return session


def after_commit(callback: Callable[[], None]) -> None:
    """Call ``callback`` once the request's transaction has committed (not if it fails)."""
    g.setdefault("_after_commit", []).append(callback)


def finish_request() -> None:
    """Commit the request's transaction, then run what waited for it."""
    session: Session | None = g.get("_db_session")
    given = None
    if session is not None:
        given = take_receipts_given(session)
        session.commit()
    if given is not None:
        _checkpoint(*given)
    for callback in g.pop("_after_commit", []):
        callback()


def _checkpoint(seq: int, hash_: str) -> None:
    """A receipt was given: a signed checkpoint of the chain up to it, outside the database."""
    ctx = hub_context()
    try:
        write_checkpoint(ctx.storage, signing_key(ctx.settings), seq, hash_, utcnow())
    except Exception:  # the answer is committed already; the next seal covers the event
        log.exception("could not store the audit checkpoint of seq %s", seq)


class Int64Converter(IntegerConverter):
    """``<int:...>`` up to the databases' widest integer: a larger number in a path is 404, never
    an overflow in the database driver."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


class PortalOnlySessions(SecureCookieSessionInterface):
    """The signed session cookie is the portal's: an API request, authenticated by its bearer
    token alone, neither reads nor writes it (reading it means checking its signature on every
    request)."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


class HubFlask(Flask):
    """Flask, committing each request's transaction when its view returns (one per request);
    JSON in and out through orjson."""

    json_provider_class = OrjsonProvider
    session_interface = PortalOnlySessions()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url_map.converters["int"] = Int64Converter

    def dispatch_request(self) -> Any:
        answer = super().dispatch_request()
        # Inside full_dispatch_request's error handling: a failed commit is answered like any
        # error of the view.
        finish_request()
        return answer


# Every CSV the hub serves starts with a UTF-8 byte-order mark: without it Excel reads the file
# as Windows-1252 and shows "Â£" for "£" and "Ã©" for "é".
UTF8_BOM = "\ufeff"


def csv_download(chunks: Iterable[str | bytes], filename: str) -> Response:
    """A CSV file as an attachment, streamed, starting with the UTF-8 byte-order mark."""
    encoded = (c.encode("utf-8") if isinstance(c, str) else c for c in chunks)
    response = Response(itertools.chain([UTF8_BOM.encode("utf-8")], encoded), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = attachment_disposition(filename)
    return response


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor


def client_ip() -> str | None:
    return request.remote_addr


# Sent with every answer (unless the view set its own).
_SECURITY_HEADERS = tuple(
    (key.lower(), key, value)
    for key, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )
)


_View = TypeVar("_View", bound=Callable[..., Any])


def judges_its_own_query(view: _View) -> _View:
    """Mark a view that checks every query value it reads for NUL bytes and lone surrogates
    (``BAD_TEXT``) and answers them as a mistake in its own form, not with a plain 400."""
    setattr(view, "judges_its_own_query", True)  # noqa: B010
    return view


def init_request_handling(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        supplied = request.headers.get("X-Request-ID", "")
        g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex

    @app.before_request
    def _limit_body() -> None:
        # Only multipart file uploads may use the large limit (MAX_CONTENT_LENGTH, or the CSV
        # upload's own): a JSON or form body is parsed in the worker, so it is held to its own.
        if request.mimetype != "multipart/form-data":
            request.max_content_length = hub_context().settings.json_max_bytes

    @app.before_request
    def _refuse_bad_text_in_the_address() -> None:
        # NUL bytes and lone surrogates in a path or query string name nothing, and PostgreSQL
        # refuses them in text: 400 before any view passes them to a query. A page whose query
        # string is a form of its own (judges_its_own_query) says so beside the field instead.
        view = app.view_functions.get(request.endpoint or "")
        if BAD_TEXT.search(request.path) or (
            not getattr(view, "judges_its_own_query", False)
            and any(
                BAD_TEXT.search(key) or BAD_TEXT.search(value)
                for key, value in request.args.items(multi=True)
            )
        ):
            raise BadRequest("The address holds a NUL byte or an unpaired surrogate.")
        # Portal forms likewise (the OAuth endpoints answer in their own shape, and API bodies
        # are JSON, judged by their schemas).
        if (
            request.path.startswith("/portal")
            and request.mimetype == ("application/x-www-form-urlencoded")
            and any(BAD_TEXT.search(value) for value in request.form.values())
        ):
            raise BadRequest("The form holds a NUL byte or an unpaired surrogate.")

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers["X-Request-ID"] = g.get("request_id", "")
        # Each header below unless the view set its own (one pass over the headers, not one
        # per header).
        present = {key.lower() for key, _value in headers.items()}
        for lowered, key, value in _SECURITY_HEADERS:
            if lowered not in present:
                headers.add(key, value)
        if request.is_secure and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "cache-control" not in present and request.path.startswith(("/api/", "/oauth/")):
            headers.add("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("_db_session", None)
        if session is not None:
            # Anything not committed by the view is rolled back here. A connection the database
            # dropped cannot even roll back: its transaction is gone already, so the connection
            # is discarded rather than failing a request that has its answer (a 503) by now.
            try:
                session.close()
            except sa.exc.DBAPIError as exc:
                log.warning("database connection lost ending a request: %s", type(exc).__name__)
                session.invalidate()
