"""Keep-lists: places, wards, drugs, services and charities that must survive redaction.

A :class:`KeepList` matches whole phrases word by word (folded, so case, accents and
apostrophes do not matter) with a trie, so finding every phrase costs one walk per word of at
most the longest phrase's length, whatever the number of phrases. Phrases come in two
strengths:

* protected: services, charities, conditions named after people, drugs, multi-word places and
  the registry's location names. Nothing inside one is redacted.
* weak: single-word places ("Preston", "Lincoln"). They keep a word that is only a surname or
  unknown, but yield to a given name ("Shirley") and to any sign of a person ("Mr Preston").

The registry's location names are injected (:meth:`KeepList.with_phrases`), so this module
stays free of the database; the hub caches the combined list per process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from hub.privacy.lexicon import lexicon
from hub.privacy.text import Word, words

MAX_PHRASE_WORDS = 8

# Services, roles and teams people name in feedback; several are named after people.
SERVICES = (
    "NHS", "NHS 111", "111", "999", "A&E", "GP", "PALS", "CAMHS", "IAPT", "NHS Talking Therapies",
    "district nurses", "district nurse", "health visitor", "health visitors",
    "Macmillan", "Macmillan nurse", "Macmillan nurses", "Marie Curie", "Marie Curie nurse",
    "Marie Curie nurses", "Admiral nurse", "Admiral nurses", "Sue Ryder", "Hospice at Home",
    "Florence Nightingale", "Nightingale", "St John Ambulance", "Red Cross", "Meals on Wheels",
    "Healthwatch", "Care Quality Commission", "CQC", "Ombudsman", "Patient Advice and Liaison",
    "crisis team", "home treatment team", "early intervention", "memory clinic", "Zimmer frame",
    "Zimmer", "Velcro", "Hoyer", "Hoyer hoist", "Heimlich", "X-ray", "X-rays",
    "NHS App", "NHS app", "NHS Direct", "NHS Choices", "NHS website", "NHS login", "NHS 24",
    "NHS England", "NHS Scotland", "NHS Wales", "NHS Digital", "NHS Improvement",
    "stoma nurse", "stoma nurses", "Parkinson's nurse", "tissue viability nurse",
    "practice nurse", "community nurse", "school nurse", "specialist nurse", "diabetes nurse",
    "respiratory nurse", "continence nurse", "breast care nurse", "heart failure nurse",
    "discharge lounge", "virtual ward", "hospital at home", "reablement team", "falls team",
    "eConsult", "Patchs", "Accurx", "SystmOnline", "Patient Access", "Airmid", "AskMyGP",
    "askmygp", "Ask My GP", "DNACPR", "DNAR", "ReSPECT form", "sats", "obs", "bloods", "HbA1c",
    "PICC line", "TIA", "COPD", "UTI", "MRSA", "C diff", "sepsis",
)  # fmt: skip
# Places people come from, named in accounts of interpreting and care far from family: weak
# single words (they yield to a sign of a person) and protected phrases.
ORIGINS = (
    "Sylhet", "Mirpur", "Kashmir", "Azad Kashmir", "Punjab", "Gujarat", "Kerala", "Tamil Nadu",
    "Goa", "Lagos", "Abuja", "Accra", "Kumasi", "Harare", "Bulawayo", "Nairobi", "Mombasa",
    "Kampala", "Mogadishu", "Hargeisa", "Somaliland", "Asmara", "Addis Ababa", "Khartoum",
    "Kabul", "Tehran", "Baghdad", "Erbil", "Aleppo", "Damascus", "Kharkiv", "Kyiv", "Kiev",
    "Lviv", "Odesa", "Odessa", "Mariupol", "Warsaw", "Krakow", "Kraków", "Gdansk", "Wroclaw",
    "Vilnius", "Kaunas", "Riga", "Bucharest", "Sofia", "Tirana", "Lahore", "Karachi",
    "Islamabad", "Rawalpindi", "Dhaka", "Chittagong", "Colombo", "Jaffna", "Manila",
    "Hong Kong", "Kowloon", "Guangzhou", "Beijing", "Shanghai", "Hanoi", "Ho Chi Minh City",
    "Saigon", "Seoul", "Kathmandu", "Delhi", "New Delhi", "Mumbai", "Kolkata", "Chennai",
    "Amritsar", "Jalandhar", "Ludhiana", "Ahmedabad", "Surat", "Kingston", "Port of Spain",
)  # fmt: skip
# Hospitals and NHS services people call by a short name, several after people ("James Paget",
# "Addenbrooke's"). One that is also a given name is kept only with a place word before it
# ("at Guy's") or a hospital word after it ("the Christie"), so "Guy's wife" still goes.
HOSPITALS = (
    "Addenbrooke's", "Addenbrookes", "Barts", "St Bartholomew's", "Homerton", "Whittington",
    "the Whittington", "UCLH", "Royal Free", "the Royal Free", "Royal Marsden", "the Marsden",
    "Great Ormond Street", "GOSH", "Evelina", "Evelina London", "King's College Hospital",
    "at King's", "Moorfields", "Charing Cross", "Chelsea and Westminster", "Northwick Park",
    "Guy's Hospital", "Guy's and St Thomas'", "at Guy's", "to Guy's", "in Guy's", "from Guy's",
    "Whipps Cross", "Chase Farm", "North Middlesex", "Central Middlesex", "West Middlesex",
    "Queen Elizabeth Hospital", "the QE", "Princess Royal", "Darent Valley", "William Harvey",
    "QEQM", "Frimley Park", "Wexham Park", "Stoke Mandeville", "John Radcliffe", "the JR",
    "the John Radcliffe", "Nuffield Orthopaedic", "Royal Berkshire", "Southampton General",
    "Queen Alexandra", "Musgrove Park", "Derriford", "Treliske", "Royal Cornwall",
    "Royal Devon and Exeter", "Torbay Hospital", "Southmead", "Bristol Royal Infirmary",
    "the BRI", "Royal United Hospital", "the RUH", "Gloucestershire Royal", "Cheltenham General",
    "Worcestershire Royal", "Hereford County", "Royal Shrewsbury", "Robert Jones and Agnes Hunt",
    "New Cross Hospital", "Russells Hall", "Walsall Manor", "Heartlands",
    "Good Hope", "Good Hope Hospital", "Walsgrave", "George Eliot", "the George Eliot",
    "Royal Stoke", "Royal Derby", "Queen's Medical Centre", "QMC", "Kings Mill", "King's Mill",
    "Glenfield", "Leicester Royal Infirmary", "the LRI", "Kettering General",
    "Northampton General", "Pilgrim Hospital", "Hinchingbrooke", "Papworth", "Royal Papworth",
    "West Suffolk Hospital", "Broomfield", "Broomfield Hospital", "Lister Hospital",
    "the Lister", "Watford General", "Luton and Dunstable", "the L&D", "Norfolk and Norwich",
    "the N&N", "James Paget", "the Paget", "Manchester Royal Infirmary", "the MRI",
    "Wythenshawe", "Salford Royal", "Hope Hospital", "the Christie", "Christie Hospital",
    "Stepping Hill", "Royal Oldham", "Fairfield General", "Royal Bolton", "Royal Preston",
    "Royal Blackburn", "Blackpool Victoria", "Royal Lancaster Infirmary", "Furness General",
    "Cumberland Infirmary", "Aintree", "Royal Liverpool", "Alder Hey", "Clatterbridge",
    "Arrowe Park", "Whiston", "Whiston Hospital", "Countess of Chester", "the Walton Centre",
    "Leeds General Infirmary", "the LGI", "St James's", "Bradford Royal Infirmary",
    "Airedale", "Calderdale Royal", "Huddersfield Royal", "Pinderfields",
    "Harrogate District", "Hull Royal Infirmary", "Castle Hill", "Northern General",
    "Royal Hallamshire", "the Hallamshire", "Weston Park", "Doncaster Royal Infirmary",
    "Bassetlaw", "Chesterfield Royal", "James Cook", "the James Cook", "North Tees",
    "Darlington Memorial", "Sunderland Royal", "the RVI", "Royal Victoria Infirmary",
    "the Freeman", "Freeman Hospital", "Wansbeck", "the Conquest", "Royal Sussex County",
    "St Richard's", "Royal Surrey", "East Surrey Hospital", "St Peter's", "St Helier",
    "Kingston Hospital", "Hillingdon Hospital", "Ealing Hospital", "Barnet Hospital",
    "Queen's Hospital", "King George Hospital", "Newham General", "Croydon University Hospital",
    "Mayday", "Epsom Hospital", "the Maudsley", "Maudsley", "Bethlem", "the Tavistock",
    "Springfield", "Broadmoor", "Rampton", "Ashworth", "the Priory", "Birmingham Children's",
    "Sheffield Children's", "Royal Manchester Children's", "Bristol Children's",
    "the Royal London", "Royal London Hospital", "St George's", "St Thomas'", "St Mary's",
    "Lewisham Hospital", "University Hospital Lewisham", "Queen Mary's", "Mount Vernon",
    "the Nightingale", "NHS Nightingale",
)  # fmt: skip
# National chains of pharmacies, opticians, dentists and care providers.
CHAINS = (
    "Boots", "Lloyds", "Lloyds Pharmacy", "LloydsPharmacy", "Superdrug", "Well Pharmacy",
    "Rowlands", "Day Lewis", "Asda", "Tesco", "Sainsbury's", "Morrisons", "Specsavers",
    "Vision Express", "Bupa", "Nuffield Health", "Spire", "HC-One", "Barchester",
    "Four Seasons", "Care UK", "Anchor", "Hallmark", "Mears", "Allied Healthcare",
    "Home Instead", "Caremark", "Helping Hands", "Bluebird Care", "Right at Home", "Agincare",
    "Sanctuary", "MHA", "Priory", "Cygnet", "Elysium", "Turning Point", "Mydentist",
    "Portman", "Circle Health", "Ramsay", "Practice Plus", "Kooth", "Babylon", "Livi",
)  # fmt: skip
CHARITIES = (
    "Age UK", "Mind", "Carers UK", "Carers Trust", "Samaritans", "Citizens Advice",
    "Alzheimer's Society", "Dementia UK", "Mencap", "Scope", "Sense", "Shelter", "Crisis",
    "Barnardo's", "NSPCC", "Rethink", "Rethink Mental Illness", "Turning Point", "Leonard Cheshire",
    "RNIB", "RNID", "Action on Hearing Loss", "Guide Dogs", "Diabetes UK", "Cancer Research UK",
    "Maggie's", "Teenage Cancer Trust", "Parkinson's UK", "Stroke Association",
    "British Heart Foundation", "British Red Cross", "Papyrus", "Shout", "Cruse",
    "Cruse Bereavement Support", "Relate", "Headway", "MND Association",
    "Motor Neurone Disease Association",
    "Marie Stopes", "MSI", "Refuge", "Women's Aid", "Victim Support", "Mermaids",
    "Stonewall", "Mumsnet", "Home-Start", "Sure Start", "Salvation Army", "Trussell Trust",
    "Independent Age", "Contact the Elderly", "The Silver Line", "Silver Line", "Re-engage",
    "Royal Voluntary Service", "Anxiety UK", "Beat", "YoungMinds", "Young Minds", "Kooth",
    "Childline", "Hope Again", "Bliss", "Tommy's", "Birthrights", "Autism Society",
    "National Autistic Society", "Down's Syndrome Association", "Epilepsy Action",
    "Asthma + Lung UK", "Asthma UK", "Kidney Care UK", "Bowel Cancer UK", "Prostate Cancer UK",
    "Breast Cancer Now", "Macmillan Cancer Support", "Sue Ryder", "St Christopher's",
    "Marie Curie Cancer Care", "Veterans UK", "Help for Heroes", "SSAFA", "Gingerbread",
)  # fmt: skip
# Conditions, signs and tests named after people.
EPONYMS = (
    "Alzheimer's", "Alzheimers", "Parkinson's", "Parkinsons", "Crohn's", "Crohns", "Huntington's",
    "Down's syndrome", "Downs syndrome", "Asperger's", "Aspergers", "Addison's", "Cushing's",
    "Hodgkin", "Hodgkin's", "non-Hodgkin", "Tourette's", "Tourettes", "Bell's palsy",
    "Guillain-Barré", "Raynaud's", "Sjögren's", "Graves'", "Hashimoto's", "Meniere's",
    "Ménière's", "Creutzfeldt-Jakob", "Lewy body", "Lewy bodies", "Pick's disease", "Wernicke",
    "Korsakoff", "Ehlers-Danlos", "Marfan", "Kawasaki", "Legionnaires'", "Apgar", "Glasgow",
    "Caesarean", "Caesar", "Braxton Hicks", "Bartholin's", "Baker's cyst", "Achilles", "Fallopian",
    "Eustachian", "Petri", "Pap", "Foley", "Hickman", "Picc", "Doppler", "Holter", "Epley",
)  # fmt: skip
# Nations, regions and counties of the United Kingdom (GeoNames lists towns, not these).
REGIONS = (
    "England", "Scotland", "Wales", "Northern Ireland", "Ireland", "Great Britain", "Britain",
    "United Kingdom", "UK", "North East", "North West", "Yorkshire", "Yorkshire and the Humber",
    "East Midlands", "West Midlands", "Midlands", "East of England", "South East", "South West",
    "London", "Greater London", "Greater Manchester", "Merseyside", "Tyne and Wear",
    "West Yorkshire", "South Yorkshire", "North Yorkshire", "East Yorkshire", "Lancashire",
    "Cumbria", "Cheshire", "Derbyshire", "Nottinghamshire", "Lincolnshire", "Leicestershire",
    "Rutland", "Northamptonshire", "Staffordshire", "Shropshire", "Herefordshire",
    "Worcestershire", "Warwickshire", "Gloucestershire", "Oxfordshire", "Buckinghamshire",
    "Bedfordshire", "Hertfordshire", "Cambridgeshire", "Norfolk", "Suffolk", "Essex", "Kent",
    "Surrey", "Sussex", "East Sussex", "West Sussex", "Hampshire", "Isle of Wight", "Berkshire",
    "Wiltshire", "Dorset", "Somerset", "Devon", "Cornwall", "Durham", "County Durham",
    "Northumberland", "Cleveland", "Teesside", "Humberside", "Avon", "Bristol", "Cotswolds",
    "the Lakes", "Lake District", "Peak District", "Highlands", "Fife", "Lothian", "Ayrshire",
    "Gwynedd", "Powys", "Ceredigion", "Pembrokeshire", "Carmarthenshire", "Glamorgan", "Gwent",
    "Anglesey", "Denbighshire", "Flintshire", "Wrexham", "Antrim", "Belfast", "Tyrone",
    "Middlesex", "Home Counties", "Black Country", "Potteries", "Wirral", "Fens",
    # London's boroughs (GeoNames counts them within London, not as places of their own)
    "Barking", "Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon",
    "Ealing", "Enfield", "Greenwich", "Hackney", "Hammersmith", "Fulham", "Haringey", "Harrow",
    "Havering", "Hillingdon", "Hounslow", "Islington", "Kensington", "Chelsea", "Kingston",
    "Kingston upon Thames", "Lambeth", "Lewisham", "Merton", "Newham", "Redbridge", "Richmond",
    "Southwark", "Sutton", "Tower Hamlets", "Waltham Forest", "Wandsworth", "Westminster",
    "City of London",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class KeepMatch:
    """Words ``first`` to ``last`` (inclusive) form a phrase to keep."""

    first: int
    last: int
    protected: bool


def _phrase_keys(phrase: str) -> tuple[str, ...]:
    return tuple(w.key for w in words(phrase))


def _spellings(phrase: str) -> list[tuple[str, ...]]:
    """The phrase's folded words, and the same with its possessives run on as people type them
    ("King's Lynn" and "kings lynn", "Addenbrooke's" and "addenbrookes")."""
    ws = words(phrase)
    keys = tuple(w.key for w in ws)
    if not any(w.possessive for w in ws):
        return [keys]
    run_on = tuple(w.key + "s" if w.possessive else w.key for w in ws)
    return [keys, run_on]


@dataclass(frozen=True)
class KeepList:
    """Phrases to keep, as a trie over folded words; build once, share, never mutate."""

    _trie: dict[str, object] = field(default_factory=dict, repr=False)
    size: int = 0

    @classmethod
    def build(
        cls, protected: Iterable[str], weak: Iterable[str] = (), *, into: KeepList | None = None
    ) -> KeepList:
        """A keep-list of the phrases given (single words from ``weak`` yield to names)."""
        trie: dict[str, object] = _copy(into._trie) if into is not None else {}
        size = into.size if into is not None else 0
        for strength, phrases in ((True, protected), (False, weak)):
            for phrase in phrases:
                for keys in _spellings(phrase):
                    if not keys or len(keys) > MAX_PHRASE_WORDS:
                        continue
                    node = trie
                    for key in keys:
                        node = node.setdefault(key, {})  # type: ignore[assignment]
                    # Several words are always protected; a single word only when said so.
                    node[""] = bool(node.get("")) or strength or len(keys) > 1
                size += 1
        return cls(trie, size)

    def with_phrases(self, phrases: Iterable[str], weak: Iterable[str] = ()) -> KeepList:
        """A new keep-list with these phrases added (the registry's location names)."""
        return KeepList.build(phrases, weak, into=self)

    def find(self, words: Sequence[Word]) -> list[KeepMatch]:
        """The longest phrase starting at each word, left to right, never overlapping."""
        found: list[KeepMatch] = []
        i = 0
        while i < len(words):
            node: dict[str, object] = self._trie
            best: KeepMatch | None = None
            j = i
            while j < len(words) and j - i < MAX_PHRASE_WORDS:
                if j > i and words[j].sentence_start:
                    break  # phrases may span "&", "+" or a comma, never a full stop
                nxt = node.get(words[j].key)
                if not isinstance(nxt, dict):
                    break
                node = nxt
                if "" in node:
                    best = KeepMatch(i, j, bool(node[""]))
                j += 1
            if best is not None:
                found.append(best)
                i = best.last + 1
            else:
                i += 1
        return found


def _copy(trie: dict[str, object]) -> dict[str, object]:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in trie.items()}


@cache
def default_keep_list() -> KeepList:
    """Services, hospitals, charities, eponyms, regions, drugs and the United Kingdom's places."""
    lex = lexicon()
    places = (*REGIONS, *lex.places)
    # A hospital of one word that is also a name ("Ashworth") is only a weak place.
    named = [h for h in HOSPITALS if not _several(h) and _is_name(h)]
    return KeepList.build(
        (
            *SERVICES,
            *(h for h in HOSPITALS if h not in named),
            *CHARITIES,
            *CHAINS,
            *EPONYMS,
            *lex.drugs,
            *(p for p in places if _several(p)),
            *(p for p in ORIGINS if _several(p)),
        ),
        (
            *named,
            *(p for p in places if not _several(p)),
            *(p for p in ORIGINS if not _several(p)),
        ),
    )


def _is_name(phrase: str) -> bool:
    from hub.privacy.lexicon import NAMED

    return any(lexicon().flags(key) & NAMED for key in _phrase_keys(phrase))


def _several(phrase: str) -> bool:
    return len(_phrase_keys(phrase)) > 1


def place_names(names: Iterable[str]) -> list[str]:
    """The names of registered places that are safe to keep whenever a narrative has them.

    A place named like a person is left out, so that erring goes towards removal: a title
    anywhere ("Dr A Patel", "Mrs Smith's Home") or nothing but names ("Jane Smith", an
    individual registered as a provider). "Meadowbank Nursing Home" and "Oakfield" stay.
    """
    from hub.privacy.lexicon import NAMED
    from hub.privacy.name_words import TITLES

    lex = lexicon()
    out = []
    for name in names:
        ws = words(name)
        if not ws or len(ws) > MAX_PHRASE_WORDS or any(w.key in TITLES for w in ws):
            continue
        if all(lex.flags(w.key) & NAMED for w in ws if len(w.key) > 1):
            continue
        out.append(name)
    return out
