"""Running the app under gunicorn from ``hub serve``."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

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
