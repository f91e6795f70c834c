"""Train the safeguarding model from the training corpus and write hub/safeguarding/model.json.

    .venv/bin/python scripts/train_safeguarding.py            # write the model file
    .venv/bin/python scripts/train_safeguarding.py --check    # exit 1 if it would change

Needs the ``train`` extra (scikit-learn). Reads only ``corpus/safeguarding/train-*.jsonl``: the
dev and held-out test files are never used to fit anything. The same corpus and library versions
give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.safeguarding.classifier import packaged_rulebook_text  # noqa: E402
from hub.safeguarding.signs import Rulebook  # noqa: E402
from hub.safeguarding.training import render, train  # noqa: E402

CORPUS = ROOT / "corpus" / "safeguarding"
OUTPUT = ROOT / "hub" / "safeguarding" / "model.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    paths = sorted(CORPUS.glob("train-*.jsonl"))
    if not paths:
        print(f"no training files in {CORPUS}", file=sys.stderr)
        return 2
    rulebook = Rulebook(json.loads(packaged_rulebook_text()))
    text = render(train(paths, rulebook))
    if args.check:
        same = args.output.exists() and args.output.read_text("utf-8") == text
        print("model.json is up to date" if same else "model.json differs from a fresh training")
        return 0 if same else 1
    args.output.write_text(text, "utf-8")
    spec = json.loads(text)
    print(
        f"wrote {args.output} ({len(text):,} bytes) from {[s['file'] for s in spec['trained_on']]}"
    )
    print(json.dumps(spec["cross_validation"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
