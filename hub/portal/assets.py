"""Copy GOV.UK Frontend's compiled assets from ``node_modules`` into the portal's static folder.

Run by ``make setup`` after ``npm ci``: ``python -m hub.portal.assets``. The hub never fetches
assets from anywhere at run time, and pages still render (unstyled) when they are missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE = REPO_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
TARGET = Path(__file__).resolve().parent / "static" / "vendor" / "govuk"

_FILES = ("govuk-frontend.min.css", "govuk-frontend.min.js", "govuk-frontend.min.js.map")
_FOLDERS = ("assets/fonts", "assets/images")
_STYLESHEET = "govuk-frontend.min.css"


def _rewrite_stylesheet(css: str) -> str:
    # The compiled stylesheet points at /assets/...; relative URLs resolve next to the
    # stylesheet instead, wherever the portal's static folder is mounted. Its source map is not
    # copied (the rewrite moves every column), so its reference goes too.
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", css)
    return css.replace("url(/assets/", "url(assets/")


def copy_assets(source: Path = SOURCE, target: Path = TARGET) -> list[Path]:
    """Replace ``target`` with the stylesheet, script, fonts and images from ``source``."""
    if not (source / _STYLESHEET).is_file():
        raise FileNotFoundError(
            f"{source / _STYLESHEET} is missing: run `npm ci` in {REPO_ROOT} first"
        )
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in _FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, staging / name)
    css = staging / _STYLESHEET
    css.write_text(_rewrite_stylesheet(css.read_text(encoding="utf-8")), encoding="utf-8")
    for folder in _FOLDERS:
        shutil.copytree(source / folder, staging / folder)
    # Swap in the complete copy, so a running hub never serves half of one.
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return sorted(p for p in target.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="govuk-frontend's dist/govuk")
    parser.add_argument("--target", type=Path, default=TARGET, help="where to copy them")
    args = parser.parse_args(argv)
    try:
        copied = copy_assets(args.source, args.target)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Copied {len(copied)} GOV.UK Frontend files into {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
