"""The vocabulary of the name rules: titles, roles, relations, place words, function words.

Written from general knowledge of how people in England write about care, never from a corpus.
"""

from __future__ import annotations

import re

TITLES = frozenset(
    {
        "dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame",
        "rev", "revd", "reverend", "fr", "father", "sr", "madam", "madame", "mister", "master",
        "lady", "lord", "cllr", "councillor"
    }
)  # fmt: skip
ROLES = frozenset(
    {
        "nurse", "sister", "matron", "carer", "caregiver", "midwife", "consultant", "surgeon",
        "receptionist", "paramedic", "physio", "physiotherapist", "therapist", "ot", "porter",
        "pharmacist", "manager", "psychiatrist", "psychologist", "dentist", "optician",
        "registrar", "gp", "counsellor", "counselor", "keyworker", "advocate", "student",
        "cleaner", "chef", "cook", "driver", "volunteer", "coordinator", "supervisor", "deputy",
        "director", "owner", "boss", "hca", "assistant", "officer", "practitioner", "visitor",
        "navigator", "administrator", "secretary", "technician", "radiographer", "sonographer",
        "anaesthetist", "anesthetist", "worker", "staff", "support", "lead", "senior", "junior",
        "doc", "medic", "houseman", "hygienist", "podiatrist", "chiropodist", "dietitian",
        "dietician", "pa", "healthcare", "chaplain", "clinician", "specialist", "sw",
        "socialworker", "mentor", "teacher", "tutor", "interpreter", "translator", "agency",
        "bank", "sponsor", "caseworker", "landlord", "landlady", "warden", "childminder",
        "befriender", "chaperone", "crew", "paramedics", "nurses", "carers", "doctors",
        "midwives", "receptionists", "cleaners", "volunteers", "porters", "therapists",
        "physios", "consultants", "surgeons", "pharmacists", "managers", "workers", "drivers",
        "advocates", "students", "assistants", "officers", "practitioners", "visitors"
    }
)  # fmt: skip
RELATIONS = frozenset(
    {
        "husband", "wife", "partner", "son", "daughter", "mum", "mam", "mom", "mother", "mummy",
        "mommy", "dad", "daddy", "father", "brother", "sister", "grandson", "granddaughter",
        "grandmother", "grandfather", "nan", "nana", "nanna", "nanny", "gran", "granny",
        "grandma", "grandad", "granddad", "grandpa", "aunt", "auntie", "aunty", "uncle",
        "niece", "nephew", "cousin", "friend", "neighbour", "neighbor", "fiance", "fiancee",
        "boyfriend", "girlfriend", "stepson", "stepdaughter", "stepmother", "stepfather",
        "stepmum", "stepdad", "child", "baby", "twin", "sibling", "colleague", "flatmate",
        "housemate", "lodger", "mate", "pal", "bestie", "hubby", "missus", "wifey", "spouse",
        "mother-in-law", "father-in-law", "son-in-law", "daughter-in-law", "sister-in-law",
        "brother-in-law", "godmother", "godfather", "goddaughter", "godson", "kid", "kids",
        "boy", "girl", "lad", "lass", "bloke", "man", "woman", "lady", "gentleman", "gent",
        "resident", "patient", "client", "service-user",
        # as families say them, in English and the languages most spoken in England
        "sis", "bro", "bruv", "hubs", "yiayia", "yia-yia", "papou", "pappou", "nonna", "nonno",
        "oma", "opa", "abuela", "abuelo", "babcia", "dziadek", "babushka", "amma", "appa",
        "ammi", "ammu", "abbu", "abba", "nani", "dadi", "nanaji", "naniji", "dadaji", "chacha",
        "chachi", "khala", "khalu", "mamu", "mama", "papa", "bhai", "didi", "bhabhi", "lola",
        "lolo", "tita", "tito", "umma", "ouma", "oupa", "mamie", "papi", "tia", "tio",
        "bapu", "bapuji", "biji", "beeji", "maa", "baba", "nanima", "dadima", "hooyo", "aabo",
        "ayeeyo", "awoowe", "nain", "taid", "mamgu", "tadcu", "bunica", "bunicu", "mamaia",
        "dziadzia", "nanay", "tatay", "inay", "itay", "teta", "sitti", "jiddo", "jaddah",
        "yaya", "vovo", "vovó", "nonnina", "tato"
    }
)  # fmt: skip
INTRODUCERS = frozenset(
    {
        "called", "named", "nicknamed", "aka"
    }
)  # fmt: skip
WEAK_INTRODUCERS = frozenset(
    {
        "im", "this", "meet", "dear", "hi", "hello", "thanks", "regards", "cheers",
        "love", "thx", "ta", "shoutout", "kudos", "congrats"
    }
)  # fmt: skip
# Particles inside a name: "Manuel dos Santos", "Ahmed bin Rashid", "Vincent van Gogh".
PARTICLES = frozenset(
    {
        "al", "bin", "binti", "bint", "ibn", "abu", "ben", "da", "das", "de", "del", "della",
        "der", "den", "di", "do", "dos", "du", "el", "la", "le", "van", "von", "ter", "ten", "ap"
    }
)  # fmt: skip
# "The Bradley family": a capitalised word before these names a family.
# Heads of a description set beside a name: "Ruby the activities lady", "paddy the tea man".
PERSON_NOUNS = frozenset(
    {
        "lady", "man", "woman", "guy", "girl", "boy", "lad", "lass", "fella", "bloke", "chap",
        "gentleman", "one"
    }
)  # fmt: skip
# Words before "name" that introduce one: "first name Errol", "her maiden name Okafor".
NAME_KINDS = frozenset(
    {"first", "given", "christian", "last", "second", "middle", "full", "maiden", "real", "sur"}
)
# Words that introduce a name alone: "forename Errol", "Surname: Baptiste".
NAME_FIELDS = frozenset({"forename", "forenames", "surname", "firstname", "lastname", "nickname"})
# Verbs that follow a person word ("can the nurse come and see mum"): in lower case, what
# the person does, never their name, whatever a gazetteer holds.
BARE_VERBS = frozenset(
    {
        "come", "go", "see", "get", "help", "do", "be", "ring", "call", "visit", "take", "bring",
        "make", "give", "look", "wash", "dress", "feed", "check", "sit", "stay", "leave", "phone",
        "talk", "speak", "listen", "wait", "walk", "stop", "start", "try", "say", "tell", "ask"
    }
)  # fmt: skip
SEASONS = frozenset({"spring", "summer", "autumn", "winter"})
FAMILY_WORDS = frozenset({"family", "families", "household", "clan", "twins", "sisters"})
# After these a month is a date, not a name: "in June Sandra came".
TEMPORAL = frozenset(
    {
        "in", "on", "since", "until", "till", "by", "from", "last", "next", "of", "early",
        "late", "mid", "end", "this", "every", "during", "before", "after", "through"
    }
)  # fmt: skip
# Verbs that follow a person: "my daughter jade did it", "nurse dee brought tea".
PERSON_VERBS = frozenset(
    {
        "said", "says", "told", "tells", "asked", "asks", "was", "is", "has", "had", "did",
        "does", "came", "comes", "helped", "helps", "explained", "rang", "rings", "phoned",
        "visited", "took", "takes", "gave", "gives", "looked", "made", "makes", "kept", "went",
        "goes", "left", "brought", "brings", "got", "gets", "sat", "stayed", "arrived",
        "sorted", "spoke", "speaks", "shouted", "refused", "cant", "wont", "couldnt",
        "wouldnt", "didnt", "doesnt", "isnt", "wasnt", "hasnt", "hadnt", "aint", "needs",
        "wants", "loves", "likes", "lives", "works", "worked", "died", "passed", "fell",
        "sang", "knew", "knows", "tried", "tries", "found", "saw", "sees", "thinks", "thought",
        "here", "who", "from", "at"
    }
)  # fmt: skip
# Words that follow a name at the start of a sentence: "Grace said", "Will was".
FOLLOWERS = frozenset(
    {
        "said", "says", "told", "tells", "asked", "asks", "was", "is", "has", "had", "came",
        "comes", "come", "helped", "helps", "and", "who", "did", "does", "explained",
        "explains", "rang", "rings", "phoned", "phones", "visited", "visits", "took", "takes",
        "gave", "gives", "looked", "looks", "made", "makes", "kept", "keeps", "went", "goes",
        "left", "brought", "brings", "always", "never", "also", "just", "wasnt", "isnt",
        "hasnt", "didnt", "doesnt", "would", "could", "will", "can", "should", "must",
        "might", "got", "gets", "sat", "sits", "stayed", "stays", "arrived", "arrives",
        "sorted", "sorts", "spoke", "speaks", "shouted", "shouts", "refused", "refuses"
    }
)  # fmt: skip
# After "my son", a word that is also a verb is a name only before these: "my son will said".
STRICT_FOLLOWERS = frozenset(
    {
        "said", "says", "told", "tells", "asked", "asks", "who", "was", "is", "has", "had",
        "and"
    }
)  # fmt: skip
# A single-word place after these is the place, even when it is also a given name.
PLACE_LOCATIVES = frozenset(
    {
        "in", "near", "outside", "around", "across", "throughout", "nr", "at", "from", "to",
        "via", "towards"
    }
)  # fmt: skip
PLACE_PREFIXES = frozenset(
    {
        "st", "saint", "queen", "king", "prince", "princess", "royal", "mount", "port", "north",
        "south", "east", "west", "upper", "lower", "great", "new", "old", "central"
    }
)  # fmt: skip
PLACE_SUFFIXES = frozenset(
    {
        "hospital", "ward", "unit", "centre", "center", "clinic", "surgery", "practice",
        "trust", "home", "lodge", "court", "hall", "manor", "park", "road", "street", "lane",
        "avenue", "close", "drive", "way", "place", "gardens", "terrace", "crescent", "square",
        "wing", "building", "block", "suite", "hospice", "infirmary", "school", "college",
        "university", "station", "pharmacy", "memorial", "foundation", "house", "grange",
        "view", "villa", "villas", "mews", "rise", "hill", "green", "wood", "field", "fields",
        "gate", "cross", "church", "chapel", "library", "institute", "nursing", "residential",
        "care", "medical", "health", "day", "general", "royal", "maritime", "valley",
        "homecare", "healthcare", "dental", "dentist", "dentists", "opticians", "services",
        "service", "plus", "group", "ltd", "limited", "partnership", "partners", "associates",
        "society", "association", "network", "team", "ambulance", "chemist",
        "chemists"
    }
)  # fmt: skip
# Suffixes that are also common surnames: "on Grace Ward" is a ward, "Sandra Ward" a person.
AMBIGUOUS_SUFFIXES = frozenset(
    {
        "ward", "house", "hall", "lane", "court", "park", "wood", "field", "hill", "green",
        "gate"
    }
)  # fmt: skip
LOCATIVES = frozenset(
    {
        "on", "in", "at", "to", "from", "onto", "into", "the", "of", "off", "near", "via",
        "round", "around", "through", "towards", "across", "opposite", "behind", "outside",
        "inside", "up", "down"
    }
)  # fmt: skip
CALENDAR = frozenset(
    {
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
        "friday", "saturday", "sunday", "christmas", "easter"
    }
)  # fmt: skip
# Words that are given names in some language but, capitalised, are almost never people here.
NOT_NAMES = frozenset(
    {
        "christian", "jesus", "christ", "god", "allah", "buddha", "muslim", "hindu", "sikh",
        "jewish", "catholic", "english", "british", "welsh", "scottish", "irish", "polish",
        "nurse", "doctor", "i", "love"
    }
)  # fmt: skip
# A short number, or what redaction left of a date or number (so redacting twice changes nothing).
_NUMBER_AFTER = re.compile(
    r"\s?(?:[0-9]{1,3}[A-Za-z]?(?![0-9])|\[(?:DATE|DATE_OF_BIRTH|PHONE|NHS_NUMBER|NI_NUMBER)\])"
)
_TITLE_GAP = re.compile(r"\.?\s{1,2}|\.")
_ROLE_GAP = re.compile(r",?\s{1,2}|\s?[-–:(]\s?")
_LIST_GAP = re.compile(r",\s{1,2}|\s{1,2}")

# Words that never continue a name, even written with a capital ("Sandra Was Lovely").
FUNCTION_WORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "nor", "so", "yet", "for", "of", "to", "in", "on",
        "at", "by", "from", "with", "without", "into", "onto", "about", "over", "under",
        "after", "before", "since", "until", "as", "than", "then", "that", "this", "these",
        "those", "there", "here", "who", "whom", "whose", "which", "what", "when", "where",
        "why", "how", "i", "me", "my", "mine", "we", "us", "our", "you", "your", "he", "him",
        "his", "she", "her", "it", "its", "they", "them", "their", "is", "am", "are", "was",
        "were", "be", "been", "being", "has", "have", "had", "do", "does", "did", "would",
        "shall", "should", "can", "could", "might", "must", "not", "no", "yes", "if", "all",
        "any", "some", "each", "every", "both", "either", "neither", "also", "just", "only",
        "very", "too", "again", "still", "even", "ever", "never", "always", "often", "said",
        "says", "told", "asked", "came", "went", "got", "get", "gets", "please", "thanks",
        "thank", "hi", "hello", "dear", "regards", "cheers", "ok", "okay", "im", "ive", "youre",
        "hes", "shes", "theyre", "weve", "theyve", "dont", "didnt", "cant", "wont", "isnt", "wasnt"
    }
)  # fmt: skip
CALENDAR_SHORT = frozenset(
    {
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"
    }
)  # fmt: skip

# Surnames written first in East Asian names that are also English words ("Chow Tsz-ching",
# "Park Min-ho"): a surname when written with a capital straight before a name.
SURNAMES_FIRST = frozenset(
    {
        "chow", "park", "song", "moon", "ho", "lam", "tang", "mak", "yip", "ma", "ng", "kwok",
        "poon", "fong", "tam", "yu", "choi", "chung", "jung", "kang", "cho", "shin", "yoon",
        "seo", "han", "kwan", "lau", "tse", "fung", "leung", "cheung", "mok", "chu", "ko", "lo"
    }
)  # fmt: skip
# Syllables of Korean and Cantonese given names, which are written joined by a hyphen
# ("Min-ho", "Ji-woo", "Tsz-ching", "Siu-ming"): two of them so joined make a given name.
NAME_SYLLABLES = frozenset(
    {
        "min", "ho", "ji", "woo", "seo", "yeon", "hyun", "jin", "soo", "young", "jun", "hee",
        "eun", "sung", "joon", "jae", "hye", "yoon", "kyung", "sang", "won", "seung", "dong",
        "chul", "hwa", "mi", "na", "ra", "ha", "yu", "bin", "gyu", "hoon", "sook", "ja", "sun",
        "suk", "hyo", "tae", "wook", "yong", "il", "ki", "su", "ah", "kyu", "ye", "tsz",
        "ching", "siu", "ming", "wing", "yan", "kit", "man", "lok", "wai", "ka", "yee", "chi",
        "kwan", "fung", "mei", "ling", "hei", "hin", "chun", "kin", "pui", "yuk", "sze", "hoi",
        "ying", "shan", "lai", "oi", "wah", "kai", "tat", "yiu", "hung", "kwok", "shing", "fai",
        "lun", "yin", "sum", "hang", "cheuk", "chak", "nok", "ngai", "yat", "wan", "kei"
    }
)  # fmt: skip

# Languages people need interpreting in, as spoken in England: never a name on their own
# ("speaks tigrinya", "a Malayalam interpreter"), though some are names too ("Shona Kerr",
# "my carer Shona"), so a person word or a name beside one still makes it a name.
LANGUAGES = frozenset(
    {
        "malayalam", "tamil", "telugu", "kannada", "gujarati", "punjabi", "urdu", "hindi",
        "bengali", "bangla", "sylheti", "pashto", "dari", "farsi", "persian", "kurdish", "sorani",
        "kurmanji", "arabic", "somali", "tigrinya", "amharic", "oromo", "swahili", "yoruba",
        "igbo", "hausa", "twi", "akan", "shona", "ndebele", "zulu", "xhosa", "lingala",
        "romanian", "bulgarian", "lithuanian", "latvian", "czech", "slovak", "hungarian",
        "portuguese", "spanish", "italian", "french", "german", "greek", "turkish", "albanian",
        "russian", "ukrainian", "mandarin", "cantonese", "vietnamese", "tagalog", "filipino",
        "nepali", "sinhala", "thai", "korean", "japanese", "hebrew", "yiddish", "gaelic",
        "cornish", "makaton", "patois", "creole", "tetum", "krio", "mirpuri", "pahari"
    }
)  # fmt: skip
