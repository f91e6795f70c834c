"""Synthetic data: registry locations, experience records (API and CSV shape), and the fast
seeding of large volumes with PostgreSQL ``COPY`` into the real tables (consistent keys, a
valid audit chain)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from hub.audit.chain import event_hash
from hub.exchange.csv.template import COLUMNS
from hub.exchange.records.location_counts import NEGATIVE, day_of, window_start
from hub.registry.services import search_text

PLACES = (
    "Maple", "Riverside", "Oakwood", "Hillview", "Meadow", "Cedar", "Brook", "Elm", "Willow",
    "Ashford", "Kings", "Queens", "Harbour", "Park", "Castle", "Station", "Church", "Mill",
    "Orchard", "Beacon", "Fern", "Heath", "Lark", "Moor", "North", "South", "West", "East",
)  # fmt: skip
KINDS = (
    "Surgery", "Care Home", "Medical Centre", "House", "Lodge", "Clinic", "Hospital",
    "Health Centre", "Practice", "Court", "Nursing Home", "Dental Practice",
)  # fmt: skip
REGIONS = ("London", "North West", "South East", "Midlands", "East", "South West", "North East")
FIRST = ("Sarah", "James", "Priya", "Tom", "Aisha", "David", "Grace", "Mohammed", "Ellen", "Ravi")
LAST = ("Patel", "Smith", "Jones", "Okafor", "Brown", "Williams", "Khan", "Taylor", "Evans")
OPENINGS = (
    "The staff on the ward were kind but nobody explained my medication.",
    "I waited three weeks for a call back about my referral and it never came.",
    "My mum's carers were always on time and treated her with real respect.",
    "The reception team were rude when I asked to see a doctor the same day.",
    "I felt listened to by the nurse and the follow up appointment was quick.",
    "Discharge was rushed and the care plan did not arrive until a week later.",
    "The crisis team were hard to reach at night and I did not know who to call.",
    "Food on the unit was cold most days and the rooms were not cleaned often.",
)
PII = (
    " Dr {first} {last} said she would ring me on 07700 900{n3} but never did.",
    " My NHS number is 943 476 5919 and they still lost my notes.",
    " You can email me at {first_lower}.{n3}@example.com about this.",
    " My son {first} visited on 12/03/2024 and was turned away.",
    "",
    "",
    "",
)
SAFEGUARDING = (
    " A carer hit my father and shouted at him when he asked for water.",
    " I think she is being neglected, left in a soiled bed all day.",
)
SENTIMENTS = ("positive", "neutral", "negative")


def location_id(n: int) -> str:
    return f"1-{9_000_000_000 + n}"


def location_name(n: int) -> str:
    return f"{PLACES[n % len(PLACES)]} {KINDS[(n // len(PLACES)) % len(KINDS)]} {n}"


def narrative(rng: random.Random) -> str:
    text = rng.choice(OPENINGS) + rng.choice(OPENINGS)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    text += rng.choice(PII).format(
        first=first, last=last, first_lower=first.lower(), n3=f"{rng.randrange(1000):03d}"
    )
    if rng.random() < 0.05:
        text += rng.choice(SAFEGUARDING)
    return text


def api_record(rng: random.Random, prefix: str, n: int, locations: Sequence[str]) -> dict[str, Any]:
    """A valid record (CONTRACT §4) with every check exercised: registry id, consent, equality."""
    today = date.today()
    return {
        "partner_record_id": f"{prefix}-{n}",
        "location_id": rng.choice(locations),
        "service_type": "mental-health-inpatient",
        "experience_date": (today - timedelta(days=rng.randrange(10, 300))).isoformat(),
        "respondent_role": "patient",
        "collection_channel": "online",
        "overall_experience": rng.randrange(1, 6),
        "sentiment": rng.choice(SENTIMENTS),
        "key_questions": ["safe", "caring"],
        "condition_areas": ["mental-health"],
        "themes": ["staff-attitude", "communication"],
        "narrative": narrative(rng),
        "safeguarding": {"concern": False, "immediate_risk": False, "categories": []},
        "equality": {
            "age_band": "65-74", "sex": "female", "ethnic_group": "black", "disability": "yes",
        },
        "consent": {
            "scopes": ["regulator_use", "publish_anonymised", "feedback", "equality_monitoring"],
            "obtained_at": (today - timedelta(days=5)).isoformat() + "T10:00:00Z",
            "method": "online",
            "lawful_basis": "consent",
            "notice_version": "bench-notice-v1",
        },
    }  # fmt: skip


def csv_text(rows: int, locations: Sequence[str], seed: int = 7) -> str:
    """A CSV in the template's columns (CONTRACT §5) with ``rows`` valid data rows."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    yes = "yes"
    prefix = f"csv-{uuid.uuid4().hex[:6]}"
    for n in range(rows):
        rec = api_record(rng, prefix, n, locations)
        eq = rec["equality"]
        consent = rec["consent"]
        values = {
            **{k: rec[k] for k in ("partner_record_id", "location_id", "service_type")},
            "experience_date": rec["experience_date"],
            "respondent_role": rec["respondent_role"],
            "collection_channel": rec["collection_channel"],
            "overall_experience": str(rec["overall_experience"]),
            "sentiment": rec["sentiment"],
            "key_questions": ";".join(rec["key_questions"]),
            "condition_areas": ";".join(rec["condition_areas"]),
            "themes": ";".join(rec["themes"]),
            "narrative": rec["narrative"],
            "safeguarding_concern": "no",
            "safeguarding_immediate_risk": "no",
            "consent_regulator_use": yes,
            "consent_publish_anonymised": yes,
            "consent_feedback": yes,
            "consent_equality_monitoring": yes,
            "consent_obtained_at": consent["obtained_at"],
            "consent_method": consent["method"],
            "consent_lawful_basis": consent["lawful_basis"],
            **eq,
        }
        writer.writerow([values.get(column, "") for column in COLUMNS])
    return out.getvalue()


# --- COPY seeding -------------------------------------------------------------------------------


def copy_rows(conn: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: Any) -> int:
    count = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
            count += 1
    return count


LOCATION_COLUMNS = (
    "id", "name", "name_search", "postcode", "region", "registration_status",
    "service_types", "regulated_activities", "inspection_categories", "updated_at",
)  # fmt: skip


def seed_locations(conn: psycopg.Connection[Any], start: int, count: int) -> list[str]:
    now = datetime.now(UTC)

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(start, start + count):
            name = location_name(n)
            postcode = f"AB{n % 90 + 10} {n % 9}CD"
            yield (
                location_id(n), name, search_text(name), postcode, REGIONS[n % len(REGIONS)],
                "Registered", "[]", "[]", "[]", now,
            )  # fmt: skip

    copy_rows(conn, "locations", LOCATION_COLUMNS, rows())
    return [location_id(n) for n in range(start, start + count)]


EXPERIENCE_COLUMNS = (
    "id", "organisation_id", "partner_record_id", "submission_id", "status", "received_at",
    "content_digest", "submitted_location_id", "location_id", "service_type",
    "experience_date", "date_precision", "respondent_role", "collection_channel",
    "overall_experience", "sentiment", "sentiment_score", "key_questions", "condition_areas",
    "themes", "narrative", "narrative_redacted", "redactions", "equality",
    "safeguarding_concern", "safeguarding_immediate", "safeguarding_categories", "fingerprint",
)  # fmt: skip
CONSENT_COLUMNS = (
    "id", "experience_id", "organisation_id", "scopes", "publish_anonymised", "feedback",
    "equality_monitoring", "obtained_at", "method", "lawful_basis", "notice_version",
    "status", "receipt_id", "created_at",
)  # fmt: skip
AUDIT_COLUMNS = (
    "seq", "occurred_at", "actor", "organisation_id", "action", "object_type", "object_id",
    "outcome", "request_id", "ip", "details", "prev_hash", "hash",
)  # fmt: skip


def bulk_submission(conn: psycopg.Connection[Any], organisation_id: str) -> str:
    """One completed submission that the seeded records of an organisation belong to."""
    sid = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO submissions (id, organisation_id, channel, status, submitted_by,"
        " declared_count, accepted_count, replayed_count, rejected_count, errors, created_at,"
        " completed_at) VALUES (%s, %s, 'batch', 'completed', 'system:bench', 0, 0, 0, 0,"
        " '[]', now(), now())",
        (sid, organisation_id),
    )
    return sid


def seed_records(
    conn: psycopg.Connection[Any],
    owners: Sequence[tuple[str, str]],
    locations: Sequence[str],
    *,
    start: int,
    count: int,
) -> None:
    """``count`` accepted records (numbered from ``start``) spread over ``owners`` (organisation,
    submission) and ``locations``, each with its consent record and one chained audit event."""
    rng = random.Random(start)
    now = datetime.now(UTC)
    consent_scopes = json.dumps(["regulator_use", "publish_anonymised", "feedback"])
    equality = json.dumps({"age_band": "65-74", "sex": "female"})
    narratives = [narrative(rng) for _ in range(200)]
    ids = [uuid.uuid4() for _ in range(count)]
    negatives: Counter[tuple[str, date]] = Counter()

    def experiences() -> Iterator[tuple[Any, ...]]:
        for i, rid in enumerate(ids):
            org, sub = owners[i % len(owners)]
            loc = locations[(start + i) % len(locations)]
            received = now - timedelta(seconds=rng.randrange(365 * 86400))
            text = narratives[i % len(narratives)]
            if SENTIMENTS[i % 3] == NEGATIVE:
                negatives[(loc, day_of(received))] += 1
            yield (
                rid, org, f"seed-{start + i}", sub, "accepted", received,
                hashlib.sha256(rid.bytes).hexdigest(), loc, loc, "mental-health-inpatient",
                (received - timedelta(days=20)).date(), "day", "patient", "online",
                rng.randrange(1, 6), SENTIMENTS[i % 3], rng.uniform(-1, 1), '["safe","caring"]',
                '["mental-health"]', '["communication"]', text, text, "{}", equality,
                False, False, "[]", hashlib.sha256(rid.bytes[::-1]).hexdigest(),
            )  # fmt: skip

    def consents() -> Iterator[tuple[Any, ...]]:
        for i, rid in enumerate(ids):
            org = owners[i % len(owners)][0]
            yield (
                uuid.uuid4(), rid, org, consent_scopes, True, True, False, now, "online",
                "consent", "bench-notice-v1", "given", uuid.uuid4(), now,
            )  # fmt: skip

    copy_rows(conn, "experience_records", EXPERIENCE_COLUMNS, experiences())
    copy_rows(conn, "consent_records", CONSENT_COLUMNS, consents())
    seed_location_counts(conn, negatives, now=now)
    seed_audit(conn, [(owners[i % len(owners)][0], rid) for i, rid in enumerate(ids)])


def seed_location_counts(
    conn: psycopg.Connection[Any], negatives: Counter[tuple[str, date]], *, now: datetime
) -> None:
    """Add seeded negative records to the counts the inspector's ranking reads, as intake does
    (``hub.exchange.records.location_counts``)."""
    conn.execute(
        "CREATE TEMP TABLE seed_counts (location_id varchar(20), day date, negatives int)"
        " ON COMMIT DROP"
    )
    copy_rows(
        conn,
        "seed_counts",
        ("location_id", "day", "negatives"),
        ((loc, day, n) for (loc, day), n in negatives.items()),
    )
    conn.execute(
        "INSERT INTO location_daily_counts (location_id, day, negatives)"
        " SELECT location_id, day, negatives FROM seed_counts"
        " ON CONFLICT (location_id, day)"
        " DO UPDATE SET negatives = location_daily_counts.negatives + excluded.negatives"
    )
    conn.execute(
        "INSERT INTO location_recent_counts (location_id, from_day, negatives)"
        " SELECT location_id, %(start)s,"
        " coalesce(sum(negatives) FILTER (WHERE day >= %(start)s), 0)"
        " FROM seed_counts GROUP BY location_id"
        " ON CONFLICT (location_id)"
        " DO UPDATE SET negatives = location_recent_counts.negatives + excluded.negatives",
        {"start": window_start(now)},
    )


def seed_audit(conn: psycopg.Connection[Any], objects: Sequence[tuple[str, uuid.UUID]]) -> None:
    """One ``experience.received`` event per object, appended to the chain after its head."""
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE").fetchone()
    seq, prev = (head[0], head[1]) if head else (0, "0" * 64)
    now = datetime.now(UTC).replace(microsecond=0)

    def rows() -> Iterator[tuple[Any, ...]]:
        nonlocal seq, prev
        for org, rid in objects:
            seq += 1
            fields = {
                "seq": seq, "occurred_at": now, "actor": "system:bench", "organisation_id": org,
                "action": "experience.received", "object_type": "experience",
                "object_id": str(rid), "outcome": "success", "request_id": None, "ip": None,
                "details": {"channel": "seed"},
            }  # fmt: skip
            digest = event_hash(prev, fields)
            yield (
                seq, now, "system:bench", org, "experience.received", "experience", str(rid),
                "success", None, None, '{"channel":"seed"}', prev, digest,
            )  # fmt: skip
            prev = digest

    copy_rows(conn, "audit_events", AUDIT_COLUMNS, rows())
    if head:
        conn.execute("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", (seq, prev))
    else:
        conn.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, %s, %s)", (seq, prev))
