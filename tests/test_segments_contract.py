"""SegmentContract is proven by stores it rejects, each wrong in one way a segment engine
can be wrong, and by the reference store it does not reject."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import attrs
import pytest
from _pytest.outcomes import Failed, Skipped

from replytrack import Contact, MemoryStore, Store
from replytrack.segments import Segment, _evaluate, _fields, _sql, evaluate_in_memory
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing.segments import SegmentContract


class Engine(MemoryStore):
    """The reference evaluator offered as the store's own engine (a SegmentStore)."""

    def segment_contact_ids(self, tenant: str, segment: Segment, now: datetime) -> list[str]:
        return evaluate_in_memory(self, tenant, segment, now)

    def segment_count(self, tenant: str, segment: Segment, now: datetime) -> int:
        return len(self.segment_contact_ids(tenant, segment, now))


class LowerCase(Engine):
    """Compares text with str.lower(), as SQL's lower() would, instead of casefolding."""

    def segment_contact_ids(self, tenant: str, segment: Segment, now: datetime) -> list[str]:
        with (
            mock.patch.object(_fields, "fold", str.lower),
            mock.patch.object(_evaluate, "fold", str.lower),
        ):
            return super().segment_contact_ids(tenant, segment, now)


class InUTC(Engine):
    """Ignores the segment's time zone."""

    def segment_contact_ids(self, tenant: str, segment: Segment, now: datetime) -> list[str]:
        return super().segment_contact_ids(tenant, attrs.evolve(segment, tz="UTC"), now)


class OwnClock(Engine):
    """Reads its own clock instead of the ``now`` it is given."""

    def segment_contact_ids(self, tenant: str, segment: Segment, now: datetime) -> list[str]:
        return super().segment_contact_ids(
            tenant, segment, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
        )


class EveryTenant(Engine):
    """Lists the contacts of every tenant."""

    def list_contacts(self, tenant: str) -> list[Contact]:
        tenants = list(self._tenants)
        every = [c for t in tenants for c in MemoryStore.list_contacts(self, t)]
        return sorted(every, key=lambda c: c.id)


class ThreeValued(SQLiteStore):
    """SQL whose test of a contact field is NULL when the field is unknown, so that 'not'
    drops those contacts (SQL's three-valued logic leaking through)."""

    def segment_contact_ids(self, tenant: str, segment: Segment, now: datetime) -> list[str]:
        def contact(builder: Any, node: Any, field: str) -> str:
            sql = original(builder, node, field)
            return sql.removeprefix("COALESCE(").removesuffix(", FALSE)")

        original = _sql._Builder.contact
        with mock.patch.object(_sql._Builder, "contact", contact):
            return super().segment_contact_ids(tenant, segment, now)


def _calls(name: str) -> Iterator[dict[str, Any]]:
    """Keyword arguments for each parametrized case of a contract test."""
    marks = [
        m
        for m in getattr(getattr(SegmentContract, name), "pytestmark", [])
        if m.name == "parametrize"
    ]
    spaces = [[{m.args[0]: value} for value in m.args[1]] for m in marks]
    for combo in itertools.product(*spaces):
        yield {k: v for part in combo for k, v in part.items()}


def failing(factory: Callable[[], Store]) -> set[str]:
    """The SegmentContract tests a fresh store from ``factory`` fails (any case of them)."""
    failed = set()
    for name in sorted(n for n in dir(SegmentContract) if n.startswith("test_")):
        for kwargs in _calls(name):
            store = factory()
            try:
                getattr(SegmentContract(), name)(store, **kwargs)
            except (AssertionError, Failed):
                failed.add(name)
                break
            except Skipped:
                break
            finally:
                getattr(store, "close", lambda: None)()
    return failed


@contextmanager
def temporary_sqlite(tmp_path: Path, cls: type[SQLiteStore]) -> Iterator[Callable[[], Store]]:
    counter = itertools.count()
    yield lambda: cls(tmp_path / f"{next(counter)}.db")


MEMBERS = "test_a_segment_has_the_members_the_reference_evaluator_gives"


@pytest.mark.parametrize(
    ("broken", "caught_by"),
    [
        (LowerCase, {MEMBERS}),
        (InUTC, {MEMBERS}),
        (OwnClock, {"test_rolling_windows_follow_the_now_given_not_a_clock_of_the_store"}),
        (
            EveryTenant,
            {
                "test_contacts_are_listed_by_id_within_the_tenant",
                "test_a_segment_sees_only_its_tenants_contacts",
            },
        ),
    ],
)
def test_each_broken_engine_fails_the_contract_test_written_for_its_bug(
    broken: type[Engine], caught_by: set[str]
) -> None:
    assert caught_by <= failing(broken)


def test_sql_with_three_valued_logic_fails_the_complement_test(tmp_path: Path) -> None:
    with temporary_sqlite(tmp_path, ThreeValued) as factory:
        assert {"test_not_is_the_exact_complement", MEMBERS} <= failing(factory)


def test_the_reference_engine_and_the_sqlite_store_fail_no_contract_test(tmp_path: Path) -> None:
    assert failing(Engine) == set()
    assert failing(MemoryStore) == set()
    with temporary_sqlite(tmp_path, SQLiteStore) as factory:
        assert failing(factory) == set()
