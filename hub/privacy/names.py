"""Detection of personal names in free text, from several signals and with no model download.

``ContextNameDetector`` weighs, word by word (:mod:`hub.privacy.name_rules` has the rules):

* gazetteers of given names and surnames of many origins (``hub/privacy/data``, built by
  ``scripts/build_gazetteers.py``), and everyday English, so that "Grace", "Will" or "Rose" need
  more than the list to count as a name while "Oluwafemi" or "sandra" do not;
* titles, roles and relations before a word ("Dr", "nurse", "my carer", "her son", "the
  manager,"), "called"/"named", sentence position, capitals, and words that follow a name
  ("said", "was", a possessive);
* a capitalised word that is neither everyday English nor a known place, drug or service is
  taken for a name: what cannot be decided errs towards removal;
* names continue into neighbouring words ("Sandra Okafor"), lists ("Tomasz, Joy and Ade"), and
  once a name is found every other mention of it goes too (possessive, lower case, alone);
* keep-lists (:mod:`hub.privacy.keep`) and place phrases ("Grace Ward", "Queen Elizabeth
  Hospital", "St Thomas'") are never taken for names;
* a spaCy pipeline with an entity recogniser, when one is installed and named in
  ``HUB_SPACY_MODEL``, adds the PERSON entities it finds (``SpacyNameDetector``).

Every step looks at each word and at most a few neighbours, so the cost is linear in the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from hub.privacy.keep import KeepList, default_keep_list
from hub.privacy.lexicon import Lexicon, lexicon
from hub.privacy.name_rules import Labeller
from hub.privacy.text import Word, calm, chunks, words

Span = tuple[int, int]

NER_CHUNK = 2000
NER_OVERLAP = 200


class NameDetector(Protocol):
    """Anything that finds the character spans of personal names in a text."""

    def find(self, text: str) -> list[Span]: ...


class ContextNameDetector:
    """The layered name engine: gazetteers, context, keep-lists and every mention."""

    def __init__(
        self,
        lex: Lexicon | None = None,
        keep: KeepList | None = None,
        ner: NameDetector | None = None,
    ) -> None:
        self.lexicon = lex or lexicon()
        self.keep = keep or default_keep_list()
        self.ner = ner

    def find(self, text: str, keep: KeepList | None = None) -> list[Span]:
        """Return the spans of the names in text, merged where they adjoin."""
        return self.find_in(text, words(text), keep)

    def find_in(self, text: str, ws: Sequence[Word], keep: KeepList | None = None) -> list[Span]:
        """Like :meth:`find`, for words already split from text."""
        hints = self.ner.find(text) if self.ner is not None else ()
        labeller = Labeller(text, ws, self.lexicon, (keep or self.keep).find(ws))
        return _merge_adjacent(text, [(ws[i].start, ws[i].end) for i in labeller.names(hints)])


class SpacyNameDetector:
    """PERSON entities of a spaCy pipeline with an entity recogniser.

    The pipeline only ever sees bounded chunks with punctuation runs blanked out (offsets
    kept), because spaCy's tokenizer is quadratic on long runs of punctuation.
    """

    def __init__(self, nlp: Any, labels: frozenset[str] = frozenset({"PERSON", "PER"})) -> None:
        self.nlp = nlp
        self.labels = labels

    def find(self, text: str) -> list[Span]:
        """Return the spans of PERSON entities in text."""
        quiet = calm(text)
        spans: set[Span] = set()
        for start in chunks(len(quiet), size=NER_CHUNK, overlap=NER_OVERLAP, text=quiet):
            doc = self.nlp(quiet[start : start + NER_CHUNK])
            spans.update(
                (start + ent.start_char, start + ent.end_char)
                for ent in doc.ents
                if ent.label_ in self.labels
            )
        return sorted(spans)


class CombinedNameDetector:
    """Union of several detectors' findings."""

    def __init__(self, *detectors: NameDetector) -> None:
        self.detectors = detectors

    def find(self, text: str) -> list[Span]:
        """Return the merged spans every detector found."""
        return _merge_adjacent(text, [span for d in self.detectors for span in d.find(text)])


def installed_ner_model(name: str | None) -> Any | None:
    """Load the named spaCy pipeline package if it is installed; never downloads."""
    if not name:
        return None
    import spacy
    import spacy.util

    if not spacy.util.is_package(name):
        raise LookupError(f"HUB_SPACY_MODEL names {name!r}, which is not installed")
    return spacy.load(name, disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])


def default_name_detector(spacy_model: str | None = None) -> ContextNameDetector:
    """The name engine, joined by the named spaCy NER pipeline when there is one."""
    nlp = installed_ner_model(spacy_model)
    return ContextNameDetector(ner=SpacyNameDetector(nlp) if nlp is not None else None)


def _merge_adjacent(text: str, spans: Iterable[Span]) -> list[Span]:
    """Sort spans and join those that overlap or are separated only by a space.

    A full stop is never joined over ("J. Patel" is two placeholders), so a redacted text
    reads the same sentences as the text it came from.
    """
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and (start <= out[-1][1] or text[out[-1][1] : start] == " "):
            out[-1] = (out[-1][0], max(out[-1][1], end))
            continue
        out.append((start, end))
    return out
