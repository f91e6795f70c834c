"""Training the statistical layer from the corpus, deterministically (needs the ``train`` extra).

``scripts/train_safeguarding.py`` calls :func:`train` and writes :func:`render`'s text to
``hub/safeguarding/model.json``. Everything is fixed: the corpus files (their sha256 are recorded),
the features (hub.safeguarding.features), the solver (liblinear, single-threaded), the folds of
the cross-validation (seeded) and the number format, so the same corpus and library versions
give the same bytes — a test retrains and compares.

Thresholds are chosen on out-of-fold scores of the training corpus (never on dev or test), with
the rules' evidence beside them and :func:`combine.decide` making each decision, so they are tuned
for the combination intake runs. Recall comes first: concern and category thresholds maximise
F2 (recall counted twice as much as precision).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hub.safeguarding.classifier import CATEGORIES, evidence_of
from hub.safeguarding.combine import IMMEDIATE, Evidence, decide
from hub.safeguarding.features import BLOCKS
from hub.safeguarding.model import FORMAT
from hub.safeguarding.signs import Rulebook
from hub.safeguarding.text import token_texts

HEADS: tuple[str, ...] = ("concern", IMMEDIATE, *CATEGORIES)
SETTINGS: dict[str, Any] = {
    "blocks": {"word": {"min_df": 2}, "char": {"min_df": 3}},
    "sublinear_tf": True,
    "C": 10.0,
    "class_weight": "balanced",
    "solver": "liblinear",
    # The dual problem (n_features >> n_samples for text) is solved some thirty times faster
    # than the primal by liblinear; tol is tight so the optimum, not the path, sets the weights.
    "dual": True,
    "tol": 1e-6,
    "max_iter": 1000,
    "folds": 5,
    "seed": 0,
    "beta": 2.0,
}
# Training files whose name starts so teach the immediacy head only: contrasts of risk now and
# not now, written for that head. The other heads, and their thresholds, never see them, so
# adding such text cannot move what raises a concern or names its category.
IMMEDIACY_ONLY = "train-immediate-"
_GRID = tuple(round(x, 3) for x in np.arange(0.05, 0.951, 0.05))
_FACTORS = (0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True, slots=True)
class Example:
    narrative: str
    concern: bool
    category: str
    immediate: bool
    # From an IMMEDIACY_ONLY file: weighs in the immediacy head and its thresholds only.
    immediacy_only: bool = False


def load(paths: Sequence[Path]) -> tuple[list[Example], list[dict[str, Any]]]:
    """The examples of the corpus files, and a record of each file (name, lines, sha256)."""
    examples: list[Example] = []
    sources = []
    for path in paths:
        raw = path.read_bytes()
        lines = [line for line in raw.decode("utf-8").splitlines() if line.strip()]
        for line in lines:
            row = json.loads(line)
            examples.append(
                Example(
                    row["narrative"],
                    bool(row["concern"]),
                    row["category"],
                    bool(row.get("immediate", False)),
                    path.name.startswith(IMMEDIACY_ONLY),
                )
            )
        sources.append(
            {"file": path.name, "lines": len(lines), "sha256": hashlib.sha256(raw).hexdigest()}
        )
    return examples, sources


def _labels(examples: Sequence[Example]) -> dict[str, np.ndarray]:
    return {
        "concern": np.array([e.concern for e in examples]),
        IMMEDIATE: np.array([e.concern and e.immediate for e in examples]),
        **{c: np.array([e.category == c for e in examples]) for c in CATEGORIES},
    }


def _general(examples: Sequence[Example]) -> np.ndarray:
    """Which examples every head learns from (the rest teach the immediacy head only)."""
    return np.array([not e.immediacy_only for e in examples], dtype=bool)


def _analyser(block: str, cache: dict[tuple[str, str], list[str]]) -> Callable[[str], list[str]]:
    """The features of a text, as the model reads them; each text is analysed once a run (the
    cross-validation refits the vectorisers on the same texts six times)."""
    features = BLOCKS[block]

    def analyse(text: str) -> list[str]:
        key = (block, text)
        found = cache.get(key)
        if found is None:
            found = cache[key] = [f for f, _ in features(token_texts(text))]
        return found

    return analyse


class _Fitted:
    """Vectorisers and one logistic regression per head, fitted on some texts."""

    def __init__(
        self,
        texts: Sequence[str],
        labels: Mapping[str, np.ndarray],
        cache: dict[tuple[str, str], list[str]] | None = None,
        general: np.ndarray | None = None,
    ) -> None:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorisers = {
            name: TfidfVectorizer(
                analyzer=_analyser(name, {} if cache is None else cache),
                min_df=options["min_df"],
                sublinear_tf=SETTINGS["sublinear_tf"],
                dtype=np.float64,
            )
            for name, options in SETTINGS["blocks"].items()
        }
        # The features and every head but immediacy's come from the general texts alone, so text
        # for the immediacy head leaves them exactly as they would be without it.
        every = np.ones(len(texts), dtype=bool) if general is None else general
        fit_on = [t for t, g in zip(texts, every, strict=True) if g]
        for vectoriser in self.vectorisers.values():
            vectoriser.fit(fit_on)
        x = hstack([v.transform(texts) for v in self.vectorisers.values()]).tocsr()
        rows = {h: (slice(None) if h == IMMEDIATE else np.flatnonzero(every)) for h in HEADS}
        self.heads = {
            head: LogisticRegression(
                C=SETTINGS["C"],
                class_weight=SETTINGS["class_weight"],
                solver=SETTINGS["solver"],
                dual=SETTINGS["dual"],
                tol=SETTINGS["tol"],
                max_iter=SETTINGS["max_iter"],
                random_state=SETTINGS["seed"],
            ).fit(x[rows[head]], labels[head][rows[head]])
            for head in HEADS
        }
        self._hstack = hstack

    def matrix(self, texts: Sequence[str]) -> Any:
        return self._hstack([v.transform(texts) for v in self.vectorisers.values()]).tocsr()

    def probabilities(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        x = self.matrix(texts)
        return {head: model.predict_proba(x)[:, 1] for head, model in self.heads.items()}


def _out_of_fold(
    examples: Sequence[Example],
    labels: Mapping[str, np.ndarray],
    cache: dict[tuple[str, str], list[str]],
) -> list[dict[str, float]]:
    from sklearn.model_selection import StratifiedKFold

    texts = [e.narrative for e in examples]
    general = _general(examples)
    scores: list[dict[str, float]] = [{} for _ in examples]
    # The general examples are folded as they would be alone; immediacy-only ones apart, each
    # fold taking its share of both.
    parts = []
    for part, by in ((np.flatnonzero(general), "category"), (np.flatnonzero(~general), "urgency")):
        if len(part) == 0:
            parts.append([(np.array([], dtype=int), np.array([], dtype=int))] * SETTINGS["folds"])
            continue
        folds = StratifiedKFold(SETTINGS["folds"], shuffle=True, random_state=SETTINGS["seed"])
        # General examples by category; immediacy-only ones by whether they are immediate.
        strata = [
            examples[int(i)].category if by == "category" else str(labels[IMMEDIATE][i])
            for i in part
        ]
        parts.append([(part[a], part[b]) for a, b in folds.split(part, strata)])
    for (g_train, g_test), (i_train, i_test) in zip(*parts, strict=True):
        train_at = np.concatenate([g_train, i_train])
        test_at = np.concatenate([g_test, i_test])
        fitted = _Fitted(
            [texts[i] for i in train_at],
            {h: v[train_at] for h, v in labels.items()},
            cache,
            general[train_at],
        )
        probs = fitted.probabilities([texts[i] for i in test_at])
        for n, i in enumerate(test_at):
            scores[i] = {h: float(probs[h][n]) for h in HEADS}
    return scores


def _f_beta(tp: int, fp: int, fn: int, beta: float) -> float:
    if tp == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp)


def _counts(predicted: Sequence[bool], actual: Sequence[bool]) -> tuple[int, int, int]:
    tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
    fp = sum(p and not a for p, a in zip(predicted, actual, strict=True))
    fn = sum(a and not p for p, a in zip(predicted, actual, strict=True))
    return tp, fp, fn


def choose_thresholds(
    evidence: Sequence[Evidence], examples: Sequence[Example]
) -> tuple[dict[str, float], dict[str, Any]]:
    """Thresholds for :func:`combine.decide`, tuned on out-of-fold evidence, and the figures
    they reach there. Immediacy-only examples count for the immediacy thresholds alone."""
    every, everything = evidence, examples
    evidence = [ev for ev, e in zip(every, everything, strict=True) if not e.immediacy_only]
    examples = [e for e in everything if not e.immediacy_only]
    beta = SETTINGS["beta"]
    thresholds: dict[str, float] = {
        "concern": 0.5,
        "weak": 0.5,
        IMMEDIATE: 0.5,
        "immediate_cue": 0.5,
        "weak_category": 0.5,
        **{c: 0.5 for c in CATEGORIES},
    }

    def run(among: Sequence[Evidence] | None = None) -> list[Any]:
        return [decide(ev, thresholds, CATEGORIES) for ev in (evidence if among is None else among)]

    concern = [e.concern for e in examples]

    def concern_score() -> float:
        return _f_beta(*_counts([d.concern for d in run()], concern), beta)

    best = (-1.0, 0.5, 0.5)
    for t in _GRID:
        for w in (x for x in _GRID if x <= t):
            thresholds["concern"], thresholds["weak"] = t, w
            score = concern_score()
            if score > best[0]:
                best = (score, t, w)
    thresholds["concern"], thresholds["weak"] = best[1], best[2]

    for category in CATEGORIES:
        actual = [e.category == category for e in examples]
        top = (-1.0, 0.5)
        alone = (-1.0, 0.5)
        for t in _GRID:
            thresholds[category] = t
            got = [category in d.categories for d in run()]
            score = _f_beta(*_counts(got, actual), beta)
            if score > top[0]:
                top = (score, t)
            own = [ev.probabilities[category] >= t for ev in evidence]
            score = _f_beta(*_counts(own, actual), 1.0)
            if score > alone[0]:
                alone = (score, t)
        # The signs were written with the training corpus in view and catch more of it than
        # they will of new narratives, so a threshold tuned beside them rises to trade away the
        # model's catches they make redundant here. A category's threshold is therefore no higher
        # than the one at which the model's head alone best finds the category (F1, out of fold).
        thresholds[category] = min(top[1], alone[1])

    def categories_score() -> float:
        decisions = run()
        return sum(
            _f_beta(
                *_counts(
                    [c in d.categories for d in decisions], [e.category == c for e in examples]
                ),
                beta,
            )
            for c in CATEGORIES
        )

    top_factor = (-1.0, 1.0)
    for factor in _FACTORS:
        thresholds["weak_category"] = factor
        score = categories_score()
        if score > top_factor[0]:
            top_factor = (score, factor)
    thresholds["weak_category"] = top_factor[1]

    urgent = [e.concern and e.immediate for e in everything]
    top_imm = (-1.0, 0.5, 0.5)
    for t in _GRID:
        for cue in (x for x in _GRID if x <= t):
            thresholds[IMMEDIATE], thresholds["immediate_cue"] = t, cue
            score = _f_beta(*_counts([d.immediate for d in run(every)], urgent), 1.0)
            if score > top_imm[0]:
                top_imm = (score, t, cue)
    thresholds[IMMEDIATE], thresholds["immediate_cue"] = top_imm[1], top_imm[2]
    figures = _figures(run(), examples)
    figures[IMMEDIATE] = _figures(run(every), everything)[IMMEDIATE]
    return thresholds, figures


def _figures(decisions: Sequence[Any], examples: Sequence[Example]) -> dict[str, Any]:
    def pr(predicted: list[bool], actual: list[bool]) -> dict[str, float]:
        tp, fp, fn = _counts(predicted, actual)
        return {
            "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
            "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        }

    out = {
        "concern": pr([d.concern for d in decisions], [e.concern for e in examples]),
        "immediate": pr(
            [d.immediate for d in decisions], [e.concern and e.immediate for e in examples]
        ),
    }
    for c in CATEGORIES:
        out[c] = pr([c in d.categories for d in decisions], [e.category == c for e in examples])
    return out


@dataclass(frozen=True, slots=True)
class Trained:
    """A training run: the model file's content, and the scikit-learn models it came from."""

    spec: dict[str, Any]
    fitted: _Fitted
    examples: list[Example]


def train(paths: Sequence[Path], rulebook: Rulebook) -> dict[str, Any]:
    """The model file's content, trained on the corpus files ``paths``."""
    return build(paths, rulebook).spec


def build(paths: Sequence[Path], rulebook: Rulebook) -> Trained:
    """Train on the corpus files ``paths`` (see the module's docstring)."""
    import scipy
    import sklearn

    examples, sources = load(paths)
    labels = _labels(examples)
    cache: dict[tuple[str, str], list[str]] = {}
    oof = _out_of_fold(examples, labels, cache)
    evidence = [
        evidence_of(rulebook.read(e.narrative), scores)
        for e, scores in zip(examples, oof, strict=True)
    ]
    thresholds, figures = choose_thresholds(evidence, examples)
    fitted = _Fitted([e.narrative for e in examples], labels, cache, _general(examples))
    weights = np.vstack([fitted.heads[h].coef_[0] for h in HEADS]).T
    blocks: dict[str, Any] = {}
    offset = 0
    for name, vectoriser in fitted.vectorisers.items():
        vocabulary = sorted(vectoriser.vocabulary_.items(), key=lambda kv: kv[1])
        rows = []
        for term, column in vocabulary:
            rows.append([term, float(vectoriser.idf_[column]), weights[offset + column].tolist()])
        offset += len(vocabulary)
        blocks[name] = {"features": rows}
    spec = {
        "format": FORMAT,
        "trained_on": sources,
        "libraries": {
            "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
        },
        "settings": SETTINGS,
        "heads": list(HEADS),
        "intercepts": [float(fitted.heads[h].intercept_[0]) for h in HEADS],
        "thresholds": thresholds,
        "cross_validation": {"examples": len(examples), **figures},
        "blocks": blocks,
    }
    return Trained(spec, fitted, examples)


def _number(value: float) -> str:
    text = f"{value:.5g}"
    return "0" if text in ("0", "-0") else text


def render(spec: Mapping[str, Any]) -> str:
    """The model file's text: stable key order, five significant figures, one feature a line."""
    head = {k: v for k, v in spec.items() if k != "blocks"}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(_rounded(value), sort_keys=True)},")
    lines.append('  "blocks": {')
    names = list(spec["blocks"])
    for n, name in enumerate(names):
        lines.append(f'    {json.dumps(name)}: {{"features": [')
        rows = spec["blocks"][name]["features"]
        for r, (term, idf, weights) in enumerate(rows):
            numbers = ",".join(_number(w) for w in weights)
            comma = "," if r < len(rows) - 1 else ""
            lines.append(
                f"      [{json.dumps(term, ensure_ascii=False)},{_number(idf)},[{numbers}]]{comma}"
            )
        lines.append("    ]}" + ("," if n < len(names) - 1 else ""))
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(_number(value))
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
