"""What every figure group gets: the run's sizes, the hub, its parties and a database handle."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench.server import Party, Server, libpq_url


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is; ``--quick`` scales everything down."""

    quick: bool
    ingest_batches: int
    batch_size: int
    latency_requests: int
    csv_rows: int
    redaction_narratives: int
    scale_small: int
    scale_large: int
    scale_requests: int

    @classmethod
    def full(cls) -> Sizes:
        return cls(False, 16, 500, 1600, 100_000, 2000, 10_000, 1_000_000, 200)

    @classmethod
    def smaller(cls) -> Sizes:
        return cls(True, 3, 500, 200, 1_000, 300, 10_000, 100_000, 40)

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "quick"}


@dataclass
class Run:
    sizes: Sizes
    database_url: str
    folder: Path
    hub: Server
    hello: Server
    env: dict[str, str]
    partner: Party
    regulator: Party
    others: list[Party]
    inspector: tuple[str, str]
    locations: list[str]
    notes: list[str] = field(default_factory=list)

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(libpq_url(self.database_url))
