"""``bench/run [--quick] [--json] [--only GROUP,...] [--csv-rows N]``: the hub's performance
figures against PostgreSQL and a real ``hub serve`` on loopback, each with its target and its
ratio to a baseline measured in the same run. See docs/performance.md."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    audit_verify,
    classifier,
    csv_upload,
    ingest,
    latency,
    redaction,
    scale,
    text_steps,
)
from bench.context import Run, Sizes
from bench.data import seed_locations
from bench.report import Figure, as_json, as_table, failed
from bench.server import (
    DEFAULT_DATABASE_URL,
    WORKERS,
    BenchError,
    Operator,
    bench_database,
    hello_server,
    hub_env,
    hub_server,
    token,
)

# In the order they run: scale first, so its small size is not swollen by what others add
# (and what follows runs against the large tables, as production would).
GROUPS: dict[str, tuple[Callable[[Run], list[Figure]], str]] = {
    "scale": (scale.measure, "list endpoints at scale"),
    "csv": (csv_upload.measure, "CSV upload"),
    "ingest": (ingest.measure, "batch ingest"),
    "latency": (latency.measure, "single POST latency"),
    "redaction": (redaction.measure, "redaction"),
    "classifier": (classifier.measure, "safeguarding classifier"),
    "text": (text_steps.measure, "sentiment and CSV cells, worst cases"),
    "audit": (audit_verify.measure, "hub audit verify"),
}
INGEST_LOCATIONS = 200


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes; under two minutes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--only", default="", help=f"comma-separated groups to run: {', '.join(GROUPS)}"
    )
    parser.add_argument(
        "--csv-rows", type=int, default=0, help="rows of the CSV upload (default: by mode)"
    )
    args = parser.parse_args(argv)
    unknown = [g for g in args.only.split(",") if g and g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = Sizes.smaller() if args.quick else Sizes.full()
    if args.csv_rows > 0:
        sizes = dataclasses.replace(sizes, csv_rows=args.csv_rows)
    chosen = [g for g in GROUPS if not args.only or g in args.only.split(",")]
    admin_url = os.environ.get("HUB_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    figures: list[Figure] = []
    notes: list[str] = []
    began = time.perf_counter()
    try:
        with bench_database(admin_url) as url:
            say(f"database {url.rsplit('/', 1)[1]} created and migrated")
            env = hub_env(url, folder)
            operator = Operator(env)
            import psycopg

            from bench.server import libpq_url

            with psycopg.connect(libpq_url(url)) as conn:
                locations = seed_locations(conn, 0, INGEST_LOCATIONS)
            partner = operator.party("charity")
            others = [operator.party("healthwatch"), operator.party("community_group")]
            regulator = operator.party("regulator")
            inspector = operator.user(regulator.organisation_id, "inspector")
            with hub_server(env, folder, WORKERS) as hub, hello_server(folder, WORKERS) as hello:
                say(f"hub serve ({WORKERS} gunicorn workers) at {hub.url}; hello at {hello.url}")
                partner.tokens.append(token(hub.url, partner))
                regulator.tokens.append(token(hub.url, regulator))
                run = Run(
                    sizes, url, folder, hub, hello, env, partner, regulator, others, inspector,
                    locations,
                )  # fmt: skip
                for group in chosen:
                    measure, title = GROUPS[group]
                    say(f"{title} ...")
                    start = time.perf_counter()
                    try:
                        figures += measure(run)
                    except Exception as exc:
                        traceback.print_exc(file=sys.stderr)
                        figures.append(failed(title, "", f"{type(exc).__name__}: {exc}"[:500]))
                    say(f"{title}: {time.perf_counter() - start:.1f} s")
                notes += run.notes
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    total = time.perf_counter() - began
    mode = "quick" if args.quick else "full"
    context = {
        "mode": mode,
        "sizes": sizes.describe(),
        "workers": WORKERS,
        "cpus": os.cpu_count(),
        "seconds": round(total, 1),
        "notes": notes + [f"{f.name}: {f.error or f.note}" for f in figures if f.error or f.note],
    }
    if args.json:
        print(as_json(figures, **context))
    else:
        header = [
            f"hub benchmarks ({mode}; {total:.0f} s; {os.cpu_count()} CPUs; hub serve with "
            f"{WORKERS} gunicorn workers; PostgreSQL)",
            "sizes: " + ", ".join(f"{k}={v:,}" for k, v in sizes.describe().items()),
            *notes,
            "",
        ]
        print(as_table(figures, header=header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
