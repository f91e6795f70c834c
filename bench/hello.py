"""The latency baseline: a bare Flask "hello" served with exactly the gunicorn settings of
``hub serve`` (``python -m bench.hello --port N --workers W``)."""

from __future__ import annotations

import argparse

from flask import Flask

from hub.serve import gunicorn_options, serve_app


def hello_app() -> Flask:
    app = Flask("hello")

    @app.post("/hello")
    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    serve_app(hello_app(), gunicorn_options(host="127.0.0.1", port=args.port, workers=args.workers))


if __name__ == "__main__":
    main()
