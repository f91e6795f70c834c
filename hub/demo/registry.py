"""A synthetic registry of obviously fictional locations, shaped as the CQC API returns them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.registry.importer import ImportResult, import_items
from hub.registry.services import PREDECESSOR

DEFAULT_SEED = 20260101

# Real region names (they are what filters and reports group by); real postcode area letters per
# region, with made-up districts and inward codes. Every place name is invented.
REGIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "North East": (("NE", "SR", "DH"), ("Exampleton upon Tyne", "Sampleburn")),
    "North West": (("M", "L", "PR"), ("Fictionbury", "Placeholder Moss")),
    "Yorkshire and The Humber": (("LS", "S", "YO"), ("Sampleford Dale", "Notionby")),
    "East Midlands": (("NG", "LE", "DE"), ("Exampleshire Wolds", "Imaginary Bridge")),
    "West Midlands": (("B", "CV", "WV"), ("Demoley Heath", "Fictionhampton")),
    "East of England": (("CB", "NR", "IP"), ("Sample Fen", "Exampleham")),
    "London": (("E", "N", "SE"), ("London Borough of Elsewhere", "London Borough of Sampleton")),
    "South East": (("BN", "OX", "RG"), ("Placeholder-on-Sea", "Notional Downs")),
    "South West": (("BS", "EX", "PL"), ("Exampleport", "Fictional Moor")),
}
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_WORDS = ("Example", "Sample", "Fictional", "Imaginary", "Placeholder", "Notional", "Demo")
_PLACES = ("Vale", "Meadow", "Brook", "Hill", "Green", "Cross", "Gardens", "Park", "Fields", "Lane")
_RATINGS = ("Outstanding", "Good", "Good", "Good", "Requires improvement", "Inadequate")
_KEY_QUESTIONS = ("Safe", "Effective", "Caring", "Responsive", "Well-led")

_RA = {
    "treatment": {"name": "Treatment of disease, disorder or injury", "code": "RA5"},
    "diagnostic": {"name": "Diagnostic and screening procedures", "code": "RA6"},
    "surgical": {"name": "Surgical procedures", "code": "RA7"},
    "maternity": {"name": "Maternity and midwifery services", "code": "RA8"},
    "personal": {"name": "Personal care", "code": "RA1"},
    "accommodation": {
        "name": "Accommodation for persons who require nursing or personal care",
        "code": "RA2",
    },
    "mha": {
        "name": "Assessment or medical treatment for persons detained under the Mental Health "
        "Act 1983",
        "code": "RA3",
    },
}


@dataclass(frozen=True)
class _Kind:
    service_type: str
    directorate: str
    category: tuple[str, str]
    activities: tuple[str, ...]
    name: Callable[[random.Random, str, str], str]
    hospital: bool = False


def _place(rng: random.Random) -> str:
    return f"{rng.choice(_WORDS)} {rng.choice(_PLACES)}"


KINDS: tuple[tuple[_Kind, int], ...] = (
    (
        _Kind(
            "Doctors/GPs",
            "Primary medical services",
            ("P2", "GP Practices"),
            ("treatment", "diagnostic"),
            lambda r, p, t: f"{p} Surgery",
        ),
        26,
    ),
    (
        _Kind(
            "Dentist",
            "Primary medical services",
            ("P3", "Dentists"),
            ("treatment", "surgical"),
            lambda r, p, t: f"{p} Dental Practice",
        ),
        12,
    ),
    (
        _Kind(
            "Acute services with overnight beds",
            "Hospitals",
            ("H1", "Acute hospital - NHS non-specialist"),
            ("treatment", "surgical", "diagnostic"),
            lambda r, p, t: r.choice(
                (
                    f"{r.choice(('Fictional', 'Sample', 'Example'))} Ward, St Elsewhere Hospital",
                    f"{p} General Hospital (fictional)",
                )
            ),
            hospital=True,
        ),
        8,
    ),
    (
        _Kind(
            "Hospital services for people with mental health needs, and/or learning disabilities,"
            " and/or problems with substance misuse",
            "Hospitals",
            ("H3", "Mental health - community & hospital - NHS"),
            ("treatment", "mha"),
            lambda r, p, t: f"{p} House Mental Health Unit",
            hospital=True,
        ),
        6,
    ),
    (
        _Kind(
            "Community based services for people with mental health needs",
            "Hospitals",
            ("H3", "Mental health - community & hospital - NHS"),
            ("treatment",),
            lambda r, p, t: f"{p} Community Mental Health Team",
        ),
        6,
    ),
    (
        _Kind(
            "Care home service with nursing",
            "Adult social care",
            ("S1", "Residential social care"),
            ("accommodation", "treatment"),
            lambda r, p, t: f"{p} Care Home",
        ),
        18,
    ),
    (
        _Kind(
            "Homecare agencies",
            "Adult social care",
            ("S2", "Community based adult social care services"),
            ("personal",),
            lambda r, p, t: f"{p} Homecare ({t})",
        ),
        16,
    ),
    (
        _Kind(
            "Maternity services",
            "Hospitals",
            ("H1", "Acute hospital - NHS non-specialist"),
            ("maternity", "treatment"),
            lambda r, p, t: f"{p} Birth Centre, St Elsewhere Hospital",
            hospital=True,
        ),
        8,
    ),
)


class _Ids:
    """Ids no real registration uses: `1-0…` numbers and `R9…` codes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.trusts: list[tuple[str, str]] = []
        self.groups: list[tuple[str, str]] = []

    def number(self) -> str:
        while True:
            value = f"1-0{self.rng.randrange(10_000_000, 99_999_999)}"
            if value not in self.used:
                self.used.add(value)
                return value

    def trust(self, place: str) -> tuple[str, str]:
        if len(self.trusts) < 6 and (not self.trusts or self.rng.random() < 0.3):
            code = f"R9{'ABCDEFGH'[len(self.trusts)]}"
            self.trusts.append((code, f"{place} NHS Foundation Trust (fictional)"))
        return self.rng.choice(self.trusts)

    def ods_site(self, trust: str) -> str:
        for n in range(1, 100):
            code = f"{trust}{n:02d}"
            if code not in self.used:
                self.used.add(code)
                return code
        return self.number()

    def group(self) -> tuple[str, str]:
        if len(self.groups) < 8 and (not self.groups or self.rng.random() < 0.25):
            self.groups.append((self.number(), f"{_place(self.rng)} Care Group Ltd"))
        return self.rng.choice(self.groups)


def _postcode(rng: random.Random, areas: tuple[str, ...]) -> str:
    inward = f"{rng.randrange(1, 10)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return f"{rng.choice(areas)}{rng.randrange(1, 30)} {inward}"


def _ratings(rng: random.Random, registered: date) -> dict[str, Any] | None:
    if rng.random() < 0.12:
        return None
    report = registered + timedelta(days=rng.randrange(200, 2500))
    kqs = [
        {"name": kq, "rating": rng.choice(_RATINGS), "reportDate": report.isoformat()}
        for kq in _KEY_QUESTIONS
    ]
    worst = max(_RATINGS.index(k["rating"]) for k in kqs)
    overall = _RATINGS[worst] if worst >= 4 else rng.choice(("Good", "Outstanding", "Good"))
    return {
        "overall": {
            "rating": overall,
            "reportDate": report.isoformat(),
            "keyQuestionRatings": kqs,
        }
    }


def _location(rng: random.Random, ids: _Ids, kind: _Kind, region: str) -> dict[str, Any]:
    areas, towns = REGIONS[region]
    town = rng.choice(towns)
    place = _place(rng)
    if kind.hospital:
        provider_id, provider_name = ids.trust(place)
        location_id = ids.ods_site(provider_id)
    elif kind.directorate == "Adult social care" and rng.random() < 0.5:
        provider_id, provider_name = ids.group()
        location_id = ids.number()
    else:
        provider_id, provider_name = ids.number(), f"{place} Partnership (fictional)"
        location_id = ids.number()
    registered = date(2011, 1, 1) + timedelta(days=rng.randrange(0, 4000))
    return {
        "locationId": location_id,
        "providerId": provider_id,
        "providerName": provider_name,
        "organisationType": "Location",
        "name": kind.name(rng, place, town),
        "registrationStatus": "Registered",
        "registrationDate": registered.isoformat(),
        "postalAddressLine1": f"{rng.randrange(1, 200)} {rng.choice(_WORDS)} Road",
        "postalAddressTownCity": town,
        "postalCode": _postcode(rng, areas),
        "region": region,
        "localAuthority": town,
        "inspectionDirectorate": kind.directorate,
        "careHome": "Y" if kind.service_type.startswith("Care home") else "N",
        "gacServiceTypes": [{"name": kind.service_type, "description": kind.service_type}],
        "regulatedActivities": [_RA[a] for a in kind.activities],
        "inspectionCategories": [
            {"code": kind.category[0], "primary": "true", "name": kind.category[1]}
        ],
        "currentRatings": _ratings(rng, registered),
        "relationships": [],
    }


def _reregister(rng: random.Random, ids: _Ids, new: dict[str, Any]) -> dict[str, Any]:
    """Turn ``new`` into a re-registration and return the deregistered location it replaced."""
    old = dict(new)
    registered = date.fromisoformat(new["registrationDate"])
    old["locationId"] = ids.number()
    old["registrationDate"] = (registered - timedelta(days=rng.randrange(900, 3000))).isoformat()
    old["registrationStatus"] = "Deregistered"
    old["deregistrationDate"] = (registered - timedelta(days=1)).isoformat()
    old["currentRatings"] = None
    new["relationships"] = [
        {
            "relatedLocationId": old["locationId"],
            "relatedLocationName": old["name"],
            "type": PREDECESSOR,
            "reason": rng.choice(("Change of provider", "Change of legal entity")),
        }
    ]
    return old


def generate_locations(n: int = 300, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``n`` fictional CQC-API-shaped locations over England's regions; the same for a seed."""
    rng = random.Random(seed)
    ids = _Ids(rng)
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    regions = list(REGIONS)
    out: list[dict[str, Any]] = []
    while len(out) < n:
        region = regions[len(out) % len(regions)]
        loc = _location(rng, ids, rng.choices(kinds, weights)[0], region)
        out.append(loc)
        made = len(out)
        # Every twentieth or so is a re-registration; every third of those re-registered twice.
        if made % 20 == 7 and made < n and loc["locationId"].startswith("1-"):
            old = _reregister(rng, ids, loc)
            out.append(old)
            if made % 60 == 7 and len(out) < n:
                out.append(_reregister(rng, ids, old))
    return out


def _named(
    location_id: str,
    name: str,
    provider: tuple[str, str],
    postcode: str,
    town: str,
    region: str,
    kind: _Kind,
    *,
    status: str = "Registered",
    predecessor: str | None = None,
) -> dict[str, Any]:
    return {
        "locationId": location_id,
        "providerId": provider[0],
        "providerName": provider[1],
        "organisationType": "Location",
        "name": name,
        "registrationStatus": status,
        "registrationDate": "2019-04-01" if status == "Registered" else "2012-06-01",
        **({"deregistrationDate": "2019-03-31"} if status != "Registered" else {}),
        "postalAddressLine1": "1 Example Road",
        "postalAddressTownCity": town,
        "postalCode": postcode,
        "region": region,
        "localAuthority": town,
        "inspectionDirectorate": kind.directorate,
        "careHome": "Y" if kind.service_type.startswith("Care home") else "N",
        "gacServiceTypes": [{"name": kind.service_type, "description": kind.service_type}],
        "regulatedActivities": [_RA[a] for a in kind.activities],
        "inspectionCategories": [
            {"code": kind.category[0], "primary": "true", "name": kind.category[1]}
        ],
        "currentRatings": None,
        "relationships": [
            {
                "relatedLocationId": predecessor,
                "relatedLocationName": name,
                "type": PREDECESSOR,
                "reason": "Change of provider",
            }
        ]
        if predecessor
        else [],
    }


def example_locations() -> list[dict[str, Any]]:
    """The locations the API reference, the CSV example and the docs name, so that every
    example works against the demo as it is written."""
    kinds = {k.service_type: k for k, _ in KINDS}
    ward = next(k for k in kinds.values() if k.hospital)
    gp = next(k for k in kinds.values() if k.directorate == "Primary medical services")
    home = next(k for k in kinds.values() if k.service_type.startswith("Care home"))
    return [
        _named(
            "1-545611283",
            "Riverside Ward, St Elsewhere",
            ("1-101641521", "St Elsewhere Mental Health Partnership (fictional)"),
            "SW1A 1AA",
            "London Borough of Elsewhere",
            "London",
            ward,
        ),
        _named(
            "1-101693457",
            "Brookside Medical Centre",
            ("1-101693400", "Brookside Partnership (fictional)"),
            "LS2 7EW",
            "Sampleford Dale",
            "Yorkshire and The Humber",
            gp,
        ),
        _named(
            "1-118743215",
            "Meadow View Care Home",
            ("1-118743200", "Meadow View Care Group Ltd (fictional)"),
            "LS1 4AP",
            "Sampleford Dale",
            "Yorkshire and The Humber",
            home,
        ),
        _named(
            "1-011111111",
            "Example Vale Surgery",
            ("1-011111100", "Example Vale Practice (fictional)"),
            "EX1 2AB",
            "Exampleport",
            "South West",
            gp,
            status="Deregistered",
        ),
        _named(
            "1-012345678",
            "Example Vale Surgery",
            ("1-087654321", "Example Vale Partnership (fictional)"),
            "EX1 2AB",
            "Exampleport",
            "South West",
            gp,
            predecessor="1-011111111",
        ),
    ]


def load_demo_registry(
    session: Session, actor: Actor, n: int = 300, seed: int = DEFAULT_SEED
) -> ImportResult:
    """Upsert the demo registry through the importer (one ``registry.imported`` audit event):
    ``n`` generated locations and the named ones the examples use."""
    locations = [*generate_locations(n, seed), *example_locations()]
    items = ((f"item {i}", loc) for i, loc in enumerate(locations, start=1))
    return import_items(session, actor, items, source="demo-registry")
