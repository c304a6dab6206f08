"""Segments compiled to SQL give what the in-memory evaluator gives, on SQLite and PostgreSQL.

The differential property test draws random contacts, sends and replies and
random expressions, and compares the member sets three ways.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replytrack import Contact, MarketingEmail, MemoryStore, MessageKind, Store
from replytrack.segments import Schema, Segment, evaluate_in_memory, parse
from replytrack.segments import _ast as a
from replytrack.segments._sql import compile_segment
from replytrack.stores.sqlite import SQLiteStore
from replytrack.testing import make_send
from replytrack.testing.contract import reply_to
from replytrack.testing.segments import SegmentContract

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 in Warsaw, the night clocks go forward
SCHEMA = Schema({"stage": "text", "score": "number", "vip": "boolean"})
EMAILS = ("e1", "e2", "e3")
ZONES = ("UTC", "Europe/Warsaw", "Pacific/Auckland", "America/Santiago")
_tenants = itertools.count()


@pytest.fixture(scope="module")
def sqlite_segments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path_factory.mktemp("segments") / "segments.db") as store:
        yield store


@pytest.fixture(scope="module")
def pg_segments(pg_dsn: str) -> Iterator[Store]:
    from replytrack.stores.postgres import PostgresStore

    with PostgresStore(pg_dsn) as store:
        yield store


class TestSQLiteStoreSegments(SegmentContract):
    @pytest.fixture
    def store(self, sqlite_store: SQLiteStore) -> SQLiteStore:
        return sqlite_store


@pytest.mark.postgres
class TestPostgresStoreSegments(SegmentContract):
    @pytest.fixture
    def store(self, pg_dsn: str) -> Iterator[Store]:
        from store_helpers import empty_postgres

        store = empty_postgres(pg_dsn)
        store._conn.execute("TRUNCATE segment_lists, segment_members")
        yield store
        store.close()


# -- data -----------------------------------------------------------------------------------
TEXTS = ("", "a", "A", "ab", "Straße", "STRASSE", "ss", "σίσυφος", "ΣΊΣΥΦΟΣ", "İ", "i̇", "x'y", "%_")
INSTANTS = [
    NOW,
    NOW - timedelta(microseconds=1),
    NOW + timedelta(microseconds=1),
    NOW - timedelta(days=1),
    NOW - timedelta(days=2, microseconds=1),
    NOW - timedelta(weeks=1),
    datetime(2026, 3, 27, 23, 0, tzinfo=UTC),  # midnight in Warsaw
    datetime(2026, 3, 28, 11, 0, tzinfo=UTC),  # midnight in Auckland
    datetime(2026, 1, 1, tzinfo=UTC),
]
values = st.one_of(
    st.none(),
    st.sampled_from(TEXTS),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, -1.25, 2.0, float("nan"), 2**53, 2**53 + 1]),
)


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    contacts = []
    for n in range(draw(st.integers(0, 6))):
        props = {k: draw(values) for k in draw(st.sets(st.sampled_from(["stage", "score", "vip"])))}
        address = draw(st.sampled_from(["ann@acme.com", "BOB@Acme.co.uk", "ß@straße.de", "x@y"]))
        owner = draw(st.none() | st.sampled_from(TEXTS))
        contacts.append(Contact(id=f"c{n}", emails=(address,), owner_id=owner, properties=props))
    activity = st.tuples(
        st.sampled_from(EMAILS),
        st.integers(0, max(len(contacts) - 1, 0)),
        st.sampled_from(INSTANTS),
        st.sampled_from([None, MessageKind.HUMAN, MessageKind.HUMAN, MessageKind.AUTO_REPLY]),
    )
    return {
        "contacts": contacts,
        "activity": draw(st.lists(activity, max_size=10) if contacts else st.just([])),
    }


def load(store: Store, tenant: str, world: dict[str, Any]) -> None:
    store.save_contacts(tenant, world["contacts"])
    for email in EMAILS:
        store.save_email(tenant, MarketingEmail(id=email, subject=email, from_address="s@x.com"))
    for n, (email, index, at, kind) in enumerate(world["activity"]):
        contact_id = world["contacts"][index].id
        send = make_send(email_id=email, contact_id=contact_id, sent_at=at - timedelta(hours=1))
        store.add_sends(tenant, [send])
        if kind is not None:
            store.add_replies(tenant, [reply_to(send, f"<r{n}@x>", kind=kind, hours=1)])


# -- expressions -------------------------------------------------------------------------------
days = st.builds(a.Day, st.sampled_from([date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29)]))
relative = st.builds(a.Day, st.none(), st.sampled_from([0, -1]))
moments = st.one_of(days, relative, st.sampled_from(INSTANTS))
amounts = st.builds(lambda n, u: (n, u), st.integers(1, 3), st.sampled_from(sorted(a.UNITS)))
ranges = st.one_of(
    amounts.map(lambda p: a.Within(*p)),
    amounts.map(lambda p: a.Ago(*p)),
    moments.map(a.Before),
    moments.map(a.After),
    st.one_of(days, relative).map(a.On),
    st.tuples(moments, moments).map(lambda p: a.Between(*p)),
)
email_sets = st.none() | st.lists(st.sampled_from(EMAILS), min_size=1, max_size=3, unique=True).map(
    tuple
)
numbers = st.sampled_from([-1, 0, 0.5, 1, 2, 3, 2**53])
text_fields = st.sampled_from(["owner", "email", "email_domain", "stage"])
number_fields = st.sampled_from(["score", "reply_count", "emails_replied"])


def _replied(
    emails: tuple[str, ...] | None, at_least: int, window: a.TimeRange | None
) -> a.Replied:
    most = len(emails) if emails else 3
    return a.Replied(emails, min(at_least, most), window)


leaves = st.one_of(
    st.builds(_replied, email_sets, st.integers(1, 2), st.none() | ranges),
    st.builds(a.Sent, email_sets, st.none() | ranges),
    st.builds(a.Compare, text_fields, st.just("="), st.sampled_from(TEXTS)),
    st.builds(
        a.Among, text_fields, st.lists(st.sampled_from(TEXTS), min_size=1, max_size=3).map(tuple)
    ),
    st.builds(
        a.TextMatch,
        text_fields,
        st.sampled_from(["contains", "starts with", "ends with"]),
        st.sampled_from(TEXTS),
    ),
    st.builds(a.Compare, number_fields, st.sampled_from(["=", "<", "<=", ">", ">="]), numbers),
    st.builds(a.Among, number_fields, st.lists(numbers, min_size=1, max_size=3).map(tuple)),
    st.builds(
        lambda f, p: a.NumberRange(f, min(p), max(p)), number_fields, st.tuples(numbers, numbers)
    ),
    st.builds(a.Compare, st.just("vip"), st.just("="), st.booleans()),
    st.builds(
        a.Known,
        st.sampled_from(["owner", "stage", "score", "vip", "first_reply_at", "reply_count"]),
    ),
    st.builds(a.When, st.sampled_from(["first_reply_at", "last_reply_at"]), ranges),
)
expressions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        inner.map(a.Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: a.And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: a.Or(tuple(xs))),
    ),
    max_leaves=6,
)


def _valid(segment: Segment) -> bool:
    """Between with its ends in order (the parser refuses the others)."""
    for node in a.walk(segment.expr):
        window = getattr(node, "window", None) or getattr(node, "range", None)
        if isinstance(window, a.Between):
            start, end = window.start, window.end
            if isinstance(start, datetime) and isinstance(end, datetime) and start > end:
                return False
            days = isinstance(start, a.Day) and isinstance(end, a.Day)
            if days and start.value and end.value and start.value > end.value:  # type: ignore[union-attr]
                return False
    return True


@pytest.mark.postgres
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    world=worlds(), exprs=st.lists(expressions, min_size=1, max_size=4), tz=st.sampled_from(ZONES)
)
def test_random_segments_give_the_same_members_in_memory_on_sqlite_and_on_postgres(
    sqlite_segments: SQLiteStore,
    pg_segments: Store,
    world: dict[str, Any],
    exprs: list[a.Node],
    tz: str,
) -> None:
    tenant = f"t{next(_tenants)}"
    memory = MemoryStore()
    for store in (memory, sqlite_segments, pg_segments):
        load(store, tenant, world)
    for expr in exprs:
        segment = Segment(expr, tz=tz, schema=SCHEMA)
        if not _valid(segment):
            continue
        expected = evaluate_in_memory(memory, tenant, segment, NOW)
        assert sqlite_segments.segment_contact_ids(tenant, segment, NOW) == expected, str(segment)
        assert pg_segments.segment_contact_ids(tenant, segment, NOW) == expected, str(segment)  # type: ignore[attr-defined]
        assert parse(str(segment), tz=tz, properties=SCHEMA).expr == expr


# -- hostile input ------------------------------------------------------------------------------
HOSTILE = [
    "'; DROP TABLE contacts; --",
    '"); DELETE FROM sends; --',
    "\\' OR 1=1 --",
    '$."x" \') OR 1=1',
    "?",
    "%s",
    "%(x)s",
    "a\nb -- line two",
]


@pytest.fixture(params=["sqlite", "postgres"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        with SQLiteStore(tmp_path / "hostile.db") as store:
            yield store
        return
    from store_helpers import empty_postgres

    store = empty_postgres(request.getfixturevalue("pg_dsn"))
    yield store
    store.close()


def test_hostile_values_are_bound_never_spliced_into_the_sql(sql_store: Store) -> None:
    tenant = "hostile"
    names = HOSTILE
    sql_store.save_contacts(
        tenant,
        [
            Contact(id=f"c{n}", emails=("a@b.c",), owner_id=h, properties={"stage": h})
            for n, h in enumerate(names)
        ],
    )
    for n, value in enumerate(names):
        literal = a.quote(value)
        for text in (
            f"owner = {literal}",
            f"stage contains {literal}",
            f"owner ends with {literal}",
        ):
            segment = parse(text, properties=SCHEMA)
            assert sql_store.segment_contact_ids(tenant, segment, NOW) == [f"c{n}"], text  # type: ignore[attr-defined]
        segment = parse(f"replied to {literal} or sent any of [{literal}]")
        assert sql_store.segment_count(tenant, segment, NOW) == 0  # type: ignore[attr-defined]
    assert sql_store.segment_count(tenant, parse("owner is known"), NOW) == len(names)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", [*HOSTILE, "x.y", "a b", "1x", ""])
def test_a_hostile_field_name_cannot_be_declared(name: str) -> None:
    with pytest.raises(ValueError, match="is not a name"):
        Schema({name: "text"})


def test_a_field_outside_the_declared_schema_never_reaches_the_sql() -> None:
    segment = Segment(a.Compare("owner", "=", "x"), schema=SCHEMA)
    hostile = Segment(a.Compare("x'); DROP TABLE contacts; --", "=", "x"), schema=SCHEMA)
    assert "owner" not in compile_segment(segment, NOW, "t", "sqlite").params
    with pytest.raises(AssertionError):
        compile_segment(hostile, NOW, "t", "sqlite")


def test_a_property_name_is_a_bound_parameter_too() -> None:
    compiled = compile_segment(parse("stage = 'x'", properties=SCHEMA), NOW, "t", "postgres")
    assert "stage" not in compiled.where
    assert "t:stage" in compiled.params


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_the_sql_never_reads_the_database_clock(dialect: str) -> None:
    text = (
        'replied to "a" within last 3 days and last_reply_at on today'
        " and sent any after yesterday and first_reply_at more than 2 weeks ago"
    )
    compiled = compile_segment(parse(text), NOW, "t", dialect)  # type: ignore[arg-type]
    lowered = compiled.where.lower()
    for clock in ("now()", "current_", "localtime", "'now'", "julianday", "date("):
        assert clock not in lowered
    assert (
        int(
            (NOW - timedelta(days=3) - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1)
        )
        in compiled.params
    )


# -- the stores' own paths ------------------------------------------------------------------------
def test_contacts_written_before_the_segments_migration_are_filled_on_first_query(
    sql_store: Store,
) -> None:
    sql_store.save_contacts("acme", [Contact(id="c1", emails=("Ann@X.org",), owner_id="ÄNN")])
    conn = sql_store._conn  # type: ignore[attr-defined]
    conn.execute(
        "UPDATE contacts SET seg_owner = NULL, seg_email = NULL, seg_domain = NULL, seg_props = NULL"
    )
    assert sql_store.segment_contact_ids(
        "acme", parse('owner = "änn" and email_domain = "x.org"'), NOW
    ) == ["c1"]  # type: ignore[attr-defined]
    assert conn.execute("SELECT count(*) FROM contacts WHERE seg_props IS NULL").fetchone()[0] == 0


def test_listing_sends_by_contact_reads_every_email(sql_store: Store) -> None:
    sends = [
        make_send(email_id=e, contact_id=c, sent_at=NOW) for e in ("e1", "e2") for c in ("a", "b")
    ]
    sql_store.add_sends("acme", sends)
    listed = sql_store.list_sends("acme", contact_id="a")  # type: ignore[attr-defined]
    assert sorted(s.email_id for s in listed) == ["e1", "e2"]
    assert [s.id for s in sql_store.list_sends("acme", email_id="e2")] == sorted(  # type: ignore[attr-defined]
        s.id for s in sends if s.email_id == "e2"
    )
