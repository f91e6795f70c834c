"""Copy Swagger UI's compiled files from ``node_modules`` into the API reference page's folder.

Run by ``make setup`` after ``npm ci``: ``python -m hub.api.docs_assets``. The hub never fetches
them from anywhere at run time; without them ``/api/v1/docs`` still links to the OpenAPI
document.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE = REPO_ROOT / "node_modules" / "swagger-ui-dist"
TARGET = Path(__file__).resolve().parent / "static" / "vendor" / "swagger-ui"

SCRIPT = "swagger-ui-bundle.js"
STYLESHEET = "swagger-ui.css"
ICON = "favicon-32x32.png"
# The licence and notice travel with the code (Apache-2.0).
_FILES = (SCRIPT, STYLESHEET, ICON, "LICENSE", "NOTICE")
_SOURCE_MAP = re.compile(r"\n?/[/*]# sourceMappingURL=[^\n]*\s*$")


def _without_source_map(text: str) -> str:
    # Source maps are not copied, so a browser's developer tools would ask for a missing file.
    return _SOURCE_MAP.sub("\n", text)


def copy_assets(source: Path = SOURCE, target: Path = TARGET) -> list[Path]:
    """Replace ``target`` with Swagger UI's script, stylesheet, icon, licence and notice."""
    missing = [name for name in (SCRIPT, STYLESHEET) if not (source / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{source / missing[0]} is missing: run `npm ci` in {REPO_ROOT} first"
        )
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in _FILES:
        if not (source / name).is_file():
            continue
        if name in (SCRIPT, STYLESHEET):
            text = (source / name).read_text(encoding="utf-8")
            (staging / name).write_text(_without_source_map(text), encoding="utf-8")
        else:
            shutil.copy2(source / name, staging / name)
    # Swap in the complete copy, so a running hub never serves half of one.
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return sorted(p for p in target.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="swagger-ui-dist's folder")
    parser.add_argument("--target", type=Path, default=TARGET, help="where to copy them")
    args = parser.parse_args(argv)
    try:
        copied = copy_assets(args.source, args.target)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Copied {len(copied)} Swagger UI files into {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
