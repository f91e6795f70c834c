"""The committed model is exactly what the training script makes, and reads as scikit-learn does.

Training on the whole training corpus runs once for the module (about ten seconds of CPU): the
script's output must be byte-identical to hub/safeguarding/model.json, and the plain-numpy
inference must give the probabilities scikit-learn gives, on the training corpus and on dev.
Training twice on a seeded sample of the corpus gives the same bytes, whatever the order of the
files' lines (a cheap check that nothing in training depends on chance or on the machine).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from hub.safeguarding.classifier import packaged_rulebook_text
from hub.safeguarding.model import Model, packaged_model_text
from hub.safeguarding.signs import Rulebook
from hub.safeguarding.text import token_texts

pytest.importorskip("sklearn")

from hub.safeguarding.training import Trained, build, render

ROOT = Path(__file__).parents[2]
CORPUS = ROOT / "corpus" / "safeguarding"


@pytest.fixture(scope="module")
def trained() -> Trained:
    return build(
        sorted(CORPUS.glob("train-*.jsonl")), Rulebook(json.loads(packaged_rulebook_text()))
    )


def test_the_committed_model_is_what_training_makes_byte_for_byte(trained: Trained) -> None:
    fresh = render(trained.spec)
    committed = packaged_model_text()
    assert fresh == committed, (
        "hub/safeguarding/model.json is not what scripts/train_safeguarding.py makes from the "
        "corpus: retrain it (and check the figures in docs/safeguarding.md)"
    )


def _sample(tmp_path: Path, seed: int, size: int, *, shuffled: bool = False) -> list[Path]:
    lines = [
        line
        for path in sorted(CORPUS.glob("train-*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    ]
    chosen = random.Random(seed).sample(lines, size)
    if shuffled:  # the same lines, in another order and split across files differently
        random.Random(seed + 1).shuffle(chosen)
    paths = []
    for n in range(2):
        path = tmp_path / f"{'shuffled' if shuffled else 'sample'}-{n}.jsonl"
        path.write_text("\n".join(chosen[n::2]) + "\n", "utf-8")
        paths.append(path)
    return paths


def test_training_on_a_seeded_sample_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    rulebook = Rulebook(json.loads(packaged_rulebook_text()))
    paths = _sample(tmp_path, seed=7, size=300)
    first, second = (render(build(paths, rulebook).spec) for _ in range(2))
    assert first == second
    spec = json.loads(first)
    assert spec["cross_validation"]["examples"] == 300
    assert [s["file"] for s in spec["trained_on"]] == ["sample-0.jsonl", "sample-1.jsonl"]
    # and a model trained on other texts is not the committed one: the byte check can fail
    assert first != packaged_model_text()


def test_the_model_records_its_corpus_and_libraries(trained: Trained) -> None:
    import sklearn

    spec = json.loads(packaged_model_text())
    files = {s["file"] for s in spec["trained_on"]}
    assert files == {p.name for p in CORPUS.glob("train-*.jsonl")}
    assert not any("test" in f or "dev" in f for f in files)
    assert spec["libraries"]["scikit-learn"] == sklearn.__version__
    assert all(len(s["sha256"]) == 64 for s in spec["trained_on"])


@pytest.mark.parametrize("corpus", ["train", "dev"])
def test_inference_gives_scikit_learns_probabilities(trained: Trained, corpus: str) -> None:
    model = Model(json.loads(render(trained.spec)))
    paths = sorted(CORPUS.glob("train-*.jsonl")) if corpus == "train" else [CORPUS / "dev.jsonl"]
    texts = [json.loads(line)["narrative"] for p in paths for line in p.read_text().splitlines()]
    expected = trained.fitted.probabilities(texts)
    ours = [model.scores(token_texts(text)).probabilities for text in texts]
    for n, text in enumerate(texts):
        for head, column in expected.items():
            # The file keeps five significant figures; nothing else may differ.
            assert ours[n][head] == pytest.approx(column[n], abs=2e-4), (head, text[:60])
    # And the decisions the thresholds make are the same wherever a score is not on the edge.
    for head, column in expected.items():
        threshold = model.thresholds.get(head)
        if threshold is None:
            continue
        mine = np.array([scores[head] for scores in ours])
        clear = np.abs(column - threshold) > 1e-3
        assert ((mine >= threshold) == (column >= threshold))[clear].all(), head


def test_immediacy_only_text_teaches_the_immediacy_head_and_nothing_else(tmp_path: Path) -> None:
    rulebook = Rulebook(json.loads(packaged_rulebook_text()))
    general = _sample(tmp_path, seed=11, size=200)
    contrasts = (CORPUS / "train-immediate-contrasts.jsonl").read_text("utf-8").splitlines()
    extra = tmp_path / "train-immediate-sample.jsonl"
    extra.write_text("\n".join(random.Random(3).sample(contrasts, 60)) + "\n", "utf-8")
    without, with_ = (build(paths, rulebook).spec for paths in (general, [*general, extra]))
    heads = without["heads"]
    assert heads == with_["heads"]
    urgent = heads.index("immediate")
    other = [n for n in range(len(heads)) if n != urgent]
    for name, block in without["blocks"].items():
        rows = with_["blocks"][name]["features"]
        assert [r[:2] for r in rows] == [r[:2] for r in block["features"]]  # same features, IDF
        assert [[r[2][n] for n in other] for r in rows] == [
            [r[2][n] for n in other] for r in block["features"]
        ]
    assert [with_["intercepts"][n] for n in other] == [without["intercepts"][n] for n in other]
    moved = {k for k, v in with_["thresholds"].items() if without["thresholds"][k] != v}
    assert moved <= {"immediate", "immediate_cue"}
    # and the immediacy head did learn from it
    assert with_["intercepts"][urgent] != without["intercepts"][urgent]
