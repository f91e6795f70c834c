"""The per-process cache: entries expire, a change this process commits empties it at once, and a
read that raced a change is not kept."""

from __future__ import annotations

from hub.cache import ProcessCache, tables_changed


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting_loader(values):  # type: ignore[no-untyped-def]
    calls = []

    def load():  # type: ignore[no-untyped-def]
        calls.append(1)
        return values[len(calls) - 1]

    return load, calls


def test_an_entry_is_kept_until_its_time_is_up():
    clock = Clock()
    cache: ProcessCache[str, str] = ProcessCache("t", tables={"t1"}, ttl=2.0, clock=clock)
    load, calls = counting_loader(["old", "new"])
    assert cache.get("k", load) == "old"
    clock.now += 1.9
    assert cache.get("k", load) == "old"
    clock.now += 0.2
    assert cache.get("k", load) == "new"
    assert len(calls) == 2


def test_a_change_to_a_table_it_reads_empties_it_and_no_other():
    clock = Clock()
    agreements: ProcessCache[str, str] = ProcessCache(
        "a", tables={"agreements"}, ttl=60, clock=clock
    )
    words: ProcessCache[str, str] = ProcessCache(
        "w", tables={"vocabulary_terms"}, ttl=60, clock=clock
    )
    agreements.get("k", lambda: "a")
    words.get("k", lambda: "w")
    tables_changed({"agreements", "experience_records"})
    assert len(agreements) == 0
    assert len(words) == 1


def test_a_read_that_began_before_a_change_is_not_kept():
    cache: ProcessCache[str, str] = ProcessCache("r", tables={"t"}, ttl=60, clock=Clock())

    def read_while_another_request_commits_a_change() -> str:
        tables_changed({"t"})
        return "read before the change"

    assert cache.get("k", read_while_another_request_commits_a_change) == "read before the change"
    assert cache.get("k", lambda: "fresh") == "fresh"


def test_nothing_found_is_read_again():
    cache: ProcessCache[str, str | None] = ProcessCache("n", tables={"t"}, ttl=60, clock=Clock())
    load, calls = counting_loader([None, "now there is"])
    assert cache.get("k", load) is None
    assert cache.get("k", load) == "now there is"
    assert len(calls) == 2


def test_it_holds_at_most_maxsize_entries_dropping_the_oldest():
    cache: ProcessCache[int, int] = ProcessCache(
        "m", tables={"t"}, ttl=60, maxsize=3, clock=Clock()
    )
    for key in range(5):
        cache.get(key, lambda key=key: key)
    assert len(cache) == 3
    load, calls = counting_loader([0])
    cache.get(0, load)
    assert calls == [1]  # the oldest was dropped and read again


def test_a_zero_ttl_keeps_nothing():
    cache: ProcessCache[str, str] = ProcessCache("z", tables={"t"}, ttl=0, clock=Clock())
    cache.get("k", lambda: "v")
    assert len(cache) == 0


def test_many_keys_load_only_the_missing_together_and_keep_no_absence():
    cache: ProcessCache[str, str] = ProcessCache("m", tables={"t"}, ttl=60, clock=Clock())
    asked: list[list[str]] = []

    def load(missing):  # type: ignore[no-untyped-def]
        asked.append(sorted(missing))
        return {k: k.upper() for k in missing if k != "unknown"}

    assert cache.get_many(["a", "b", "unknown"], load) == {"a": "A", "b": "B", "unknown": None}
    assert cache.get_many(["a", "c", "unknown"], load) == {"a": "A", "c": "C", "unknown": None}
    assert asked == [["a", "b", "unknown"], ["c", "unknown"]]


def test_many_keys_read_before_a_change_are_not_kept():
    cache: ProcessCache[str, str] = ProcessCache("mr", tables={"t"}, ttl=60, clock=Clock())

    def read_while_another_request_commits_a_change(missing):  # type: ignore[no-untyped-def]
        tables_changed({"t"})
        return {k: "read before the change" for k in missing}

    assert cache.get_many(["k"], read_while_another_request_commits_a_change) == {
        "k": "read before the change"
    }
    assert len(cache) == 0
