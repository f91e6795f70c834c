"""Request logs name the path, never the query string: a search for a name or a postcode typed
into the inspector's search, or an e-mail address in a sign-in link, stays out of the logs.

The development server (werkzeug) and gunicorn, as ``hub serve`` configures it, both log
requests; tests/security/test_logs_have_no_identifiers.py runs a real ``hub serve`` too.
"""

from __future__ import annotations

import io
import logging
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from gunicorn.config import Config
from gunicorn.glogging import Logger
from werkzeug.serving import make_server

from hub.logs import without_query_strings
from hub.serve import gunicorn_options

POSTCODE = "NE30 4XZ"
NAME = "Zebedee Quillfeather"
EMAIL = "zebedee.quillfeather@example.com"


def test_the_development_server_logs_requests_without_their_query_strings(
    make_app, caplog: pytest.LogCaptureFixture
):
    app = make_app(log_level="INFO")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    caplog.set_level(logging.INFO, logger="werkzeug")
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        params = {"q": f"{NAME} {POSTCODE}", "email": EMAIL}
        requests.get(f"{base}/portal/sign-in", params=params, timeout=30)
        requests.get(f"{base}/api/v1/locations", params=params, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /portal/sign-in HTTP/1.1" 200' in line for line in lines), lines
    # Coloured by status where the terminal allows: the request line sits inside the escapes.
    assert any("GET /api/v1/locations HTTP/1.1" in line for line in lines), lines
    logged = "\n".join([caplog.text, *lines])
    for planted in (POSTCODE, "Quillfeather", EMAIL, "NE30"):
        assert planted not in logged


def _gunicorn_logger() -> tuple[Logger, io.StringIO]:
    cfg = Config()
    for key, value in gunicorn_options(host="127.0.0.1", port=8000, workers=1).items():
        cfg.set(key, value)
    logger: Logger = cfg.logger_class(cfg)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.access_log.handlers = [handler]
    logger.error_log.handlers = [handler]
    return logger, out


def test_gunicorn_logs_requests_without_their_query_strings():
    logger, out = _gunicorn_logger()
    query = "q=Zebedee+Quillfeather&postcode=NE30%204XZ"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/v1/locations?{query}",
        "PATH_INFO": "/api/v1/locations",
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=12, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    # What gunicorn logs when a request fails inside it, or cannot be parsed.
    logger.exception("Error handling request %s %s", "GET", environ["RAW_URI"])
    logger.warning(
        f"Invalid request from ip=127.0.0.1: Invalid HTTP request line: "
        f"'GET /api/v1/locations?q={NAME} {POSTCODE} HTTP/1.1'"
    )

    logged = out.getvalue()
    assert '"GET /api/v1/locations" 200 12' in logged
    assert "Error handling request GET /api/v1/locations\n" in logged
    assert "'GET /api/v1/locations HTTP/1.1'" in logged
    for planted in ("Quillfeather", "NE30", "postcode="):
        assert planted not in logged


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ('"GET /search?q=NE30 4XZ HTTP/1.1" 200 -', '"GET /search HTTP/1.1" 200 -'),
        ("GET /a/b?name=Zebedee%20Quillfeather", "GET /a/b"),
        ("GET /?q=x&y=z", "GET /"),
        ("https://hub.example/p?email=a@b.example then", "https://hub.example/p then"),
        ("a question? not a path", "a question? not a path"),
    ],
)
def test_query_strings_are_cut_from_paths_and_nothing_else(line, kept):
    assert without_query_strings(line) == kept
