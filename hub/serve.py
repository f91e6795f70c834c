"""Running the app under gunicorn from ``hub serve``."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from hub.api.problems import CATALOGUE, PROBLEM_BASE, PROBLEM_JSON
from hub.logs import cut_query_strings
from hub.web import hub_context


class QuietLogger(Logger):
    """gunicorn's logger, with query strings cut from its error log as from its access log.

    A request that fails inside gunicorn, or that it cannot parse, is logged with its full URI.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        cut_query_strings(self.error_log)
        cut_query_strings(self.access_log)


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """What gunicorn answers to a request it refuses itself (a request line over
    ``limit_request_line``: 414; too many or too long headers: 431; a malformed request: 400),
    as an RFC 9457 problem like every other error, instead of its HTML page. The refused request
    line is not echoed (it may carry a query string)."""
    code = {400: "bad-request", 403: "forbidden", 414: "uri-too-long"}.get(status_int)
    code = code or {431: "header-fields-too-large"}.get(status_int, "bad-request")
    if status_int >= 500:
        code = "internal-error"
    title = CATALOGUE.get(code, (status_int, reason))[1]
    body = json.dumps(
        {
            "type": PROBLEM_BASE + code,
            "title": title,
            "status": status_int,
            "code": code,
            "detail": {
                414: "The address is too long. Send long filters in fewer, shorter parameters.",
                431: "The request's headers are too many or too long.",
            }.get(status_int, "The request could not be read as HTTP."),
        },
        separators=(",", ":"),
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    ).encode("latin-1")
    gunicorn_util.write_nonblock(sock, head + body)


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def gunicorn_options(*, host: str, port: int, workers: int) -> dict[str, Any]:
    """The gunicorn settings of ``hub serve`` (the benchmarks serve their baseline with them)."""
    return {
        "bind": f"{host}:{port}",
        "workers": max(1, workers),
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 120,
        "graceful_timeout": 20,
        "accesslog": "-",
        # Query strings can carry ids; keep the access log to method, path and status.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
        "logger_class": QuietLogger,
        # Forwarded headers are the app's to trust (ProxyFix, only with HUB_TRUST_PROXY): gunicorn
        # itself honours none, not even from loopback (its default trusts 127.0.0.1).
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        # No shared control socket, so several hubs can run on one machine.
        "control_socket_disable": True,
    }


def serve_app(app: Flask, options: dict[str, Any]) -> None:
    """Run ``app`` under gunicorn with ``options``."""
    # gunicorn's workers answer the requests they refuse through this one function.
    gunicorn_util.write_error = write_problem
    _Gunicorn(app, options).run()


def run_gunicorn(app: Flask, *, host: str, port: int, workers: int) -> None:
    """Serve ``app`` with gunicorn's threaded workers."""
    engine = hub_context(app).engine

    def post_fork(_server: Any, _worker: Any) -> None:
        # Connections opened before the fork must not be shared between workers.
        engine.dispose(close=False)

    options = gunicorn_options(host=host, port=port, workers=workers)
    options["post_fork"] = post_fork
    serve_app(app, options)
