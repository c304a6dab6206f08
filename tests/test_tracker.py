"""The engine end to end on the in-memory store."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replytrack import (
    ConfigurationError,
    Contact,
    Inbox,
    MarketingEmail,
    MatchStrategy,
    MemoryStore,
    MessageKind,
    NotFoundError,
    Outcome,
    ReplyEvent,
    ReplyTo,
    SourceError,
    SourceMessage,
    Tracker,
    UnknownInboxError,
)
from replytrack.testing import make_message, make_reply

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = b"s" * 32
SPRING = MarketingEmail(
    id="spring",
    subject="Spring sale",
    from_address="sales@example.com",
    reply_to=ReplyTo.inbox("sales@example.com"),
)
BOB = Contact(id="c1", emails=("bob@example.org", "bob@home.example"))
ANN = Contact(id="c2", emails=("ann@example.org",))


def make_tracker(
    store: MemoryStore | None = None, tenant: str = "default", *, fallback: bool = True
) -> Tracker:
    tracker = Tracker(
        store or MemoryStore(),
        secret=SECRET,
        domain="mail.example.com",
        tenant=tenant,
        clock=lambda: T0,
        fallback=fallback,
    )
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    return tracker


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_a_reply_to_a_send_is_counted_in_every_report() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    tracker.record_send(SPRING, ANN, sent_at=at(1))

    result = tracker.ingest("sales", make_reply(send, body="Yes, call me.\n"), received_at=at(2))

    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.contact_id == "c1"
    assert result.reply.strategy is MatchStrategy.TOKEN
    report = tracker.report(email_id="spring")
    assert (report.sent, report.delivered, report.replies, report.repliers) == (2, 2, 1, 1)
    assert report.reply_rate == 0.5
    assert tracker.report().replies == 1
    assert [r.contact_id for r in tracker.replies("spring")] == ["c1"]
    props = tracker.contact_properties("c1")
    assert (props.replied, props.reply_count, props.emails_replied) == (True, 1, 1)
    assert props.first_reply_at == props.last_reply_at == at(2)
    [entry] = tracker.timeline("c1")
    assert (entry.email_id, entry.inbox_id, entry.received_at) == ("spring", "sales", at(2))
    assert entry.snippet == "Yes, call me."
    assert entry.subject == "Re: Spring sale"


def test_send_headers_carry_our_message_id_in_references_and_the_reply_to() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    assert send.headers == {
        "Message-ID": send.message_id,
        "References": send.message_id,
        "Reply-To": "sales@example.com",
    }
    assert send.tracked
    assert send.inbox_id == "sales"


def test_ingesting_the_same_message_twice_counts_it_once() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send)
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.REPLY
    assert tracker.ingest("sales", raw, received_at=at(3)).outcome is Outcome.DUPLICATE
    assert tracker.report("spring").replies == 1


def test_the_same_reply_through_a_second_inbox_is_a_duplicate() -> None:
    tracker = make_tracker()
    tracker.connect_inbox(
        Inbox(id="ann", address="ann@example.com", kind="personal", owner_id="u1"), T0
    )
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, to="sales@example.com, ann@example.com")
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.REPLY
    assert tracker.ingest("ann", raw, received_at=at(2)).outcome is Outcome.DUPLICATE


def test_a_reply_received_before_the_inbox_was_connected_is_not_counted() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(-5))
    result = tracker.ingest("sales", make_reply(send), received_at=at(-1))
    assert result.outcome is Outcome.BEFORE_TRACKING
    assert result.reason == (
        "received 2026-03-01T08:00:00+00:00 (as given) while inbox sales was not connected"
        " (connected from 2026-03-01T09:00:00+00:00 on)"
    )
    assert tracker.report("spring").replies == 0


def test_a_reply_received_while_the_inbox_was_disconnected_is_not_counted() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    tracker.disconnect_inbox("sales", at(2))
    assert (
        tracker.ingest("sales", make_reply(send), received_at=at(3)).outcome
        is Outcome.BEFORE_TRACKING
    )


def test_a_message_dated_before_the_send_is_not_counted() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(5))
    result = tracker.ingest("sales", make_reply(send), received_at=at(4))
    assert result.outcome is Outcome.BEFORE_TRACKING
    assert "before send" in result.reason


def test_a_reply_from_another_sender_is_not_attributed() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    result = tracker.ingest(
        "sales", make_reply(send, from_address="carol@example.org"), received_at=at(2)
    )
    assert result.outcome is Outcome.WRONG_SENDER
    assert "carol@example.org" in result.reason
    assert tracker.report("spring").replies == 0
    assert tracker.contact_properties("c1").replied is False


def test_a_reply_from_the_contacts_other_address_is_counted() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, from_address="Bob <BOB@home.example>")
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.REPLY


def test_a_message_referencing_nothing_of_ours_is_not_a_reply() -> None:
    tracker = make_tracker()
    tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_message(in_reply_to="<someone-else@example.net>", subject="Re: invoice 42")
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.NOT_A_REPLY


def test_a_forged_token_is_not_a_reply() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    local, domain = send.message_id.strip("<>").split("@")
    forged = f"<{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}>"
    raw = make_message(in_reply_to=forged)
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.NOT_A_REPLY


def test_a_provider_rewritten_message_id_matches_once_recorded() -> None:
    tracker = make_tracker(fallback=False)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, in_reply_to="<0100abc@email.amazonses.com>", references=None)
    assert tracker.ingest("sales", raw, received_at=at(2)).outcome is Outcome.NOT_A_REPLY
    tracker.record_provider_message_id(send.id, "<0100abc@email.amazonses.com>")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.strategy is MatchStrategy.MESSAGE_ID


def test_automatic_mail_is_stored_by_kind_but_not_counted() -> None:
    tracker = make_tracker()
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, headers={"Auto-Submitted": "auto-replied"}, subject="Out of office")
    result = tracker.ingest("sales", raw, received_at=at(2))
    assert result.outcome is Outcome.AUTOMATIC
    assert result.reply is not None
    assert result.reply.kind is MessageKind.AUTO_REPLY
    report = tracker.report("spring")
    assert report.replies == 0
    assert dict(report.automatic) == {"auto_reply": 1}
    assert dict(report.automatic_subtypes) == {"auto_reply:out_of_office": 1}


def test_reclassifying_automatic_mail_as_human_counts_it_and_tells_subscribers() -> None:
    tracker = make_tracker()
    events: list[ReplyEvent] = []
    tracker.subscribe(events.append)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    raw = make_reply(send, headers={"Auto-Submitted": "auto-replied"})
    stored = tracker.ingest("sales", raw, received_at=at(2)).reply
    assert stored is not None
    assert [e.name for e in events] == ["reply.automatic"]  # not counted, but announced
    events.clear()

    reply = tracker.reclassify(stored.key, MessageKind.HUMAN)

    assert reply.kind is MessageKind.HUMAN
    assert tracker.report("spring").replies == 1
    assert tracker.contact_properties("c1").first_reply_at == at(2)
    assert [(e.name, e.reply.key) for e in events] == [
        ("reply.reclassified", stored.key),
        ("reply.received", stored.key),
    ]


def test_reclassifying_an_unknown_record_raises_not_found() -> None:
    tracker = make_tracker()
    with pytest.raises(NotFoundError, match="no stored reply"):
        tracker.reclassify(("nope", "nope"), MessageKind.HUMAN)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"\r\nbody only", "no header fields"),
    ],
)
def test_unreadable_mail_is_reported_malformed_and_never_raises(raw: bytes, words: str) -> None:
    tracker = make_tracker()
    result = tracker.ingest("sales", raw, received_at=at(1))
    assert result.outcome is Outcome.MALFORMED
    assert words in result.reason


def test_an_inbox_that_was_never_connected_raises_a_clear_error() -> None:
    tracker = make_tracker()
    with pytest.raises(UnknownInboxError, match=r"'support' was never connected.*known: sales"):
        tracker.ingest("support", make_message(), received_at=at(1))


def test_a_naive_received_time_is_refused() -> None:
    tracker = make_tracker()
    with pytest.raises(ConfigurationError, match="received_at must be timezone-aware"):
        tracker.ingest("sales", make_message(), received_at=datetime(2026, 1, 1))


def test_a_reply_to_an_untracked_send_is_never_counted() -> None:
    tracker = make_tracker()
    email = MarketingEmail(
        id="e",
        subject="S",
        from_address="x@example.com",
        reply_to=ReplyTo.inbox("nobody@example.com"),
    )
    send = tracker.record_send(email, BOB, sent_at=at(1))
    assert not send.tracked
    assert send.untracked_reason == "reply-to-not-connected"
    result = tracker.ingest("sales", make_reply(send), received_at=at(2))
    assert result.outcome is Outcome.UNTRACKED
    report = tracker.report("e")
    assert (report.untracked, report.replies) == (1, 0)
    assert dict(report.untracked_reasons) == {"reply-to-not-connected": 1}


def test_a_failing_subscriber_neither_loses_the_reply_nor_blocks_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker = make_tracker()
    seen: list[str] = []

    def broken(event: ReplyEvent) -> None:
        raise RuntimeError("CRM webhook down")

    tracker.subscribe(broken)
    tracker.subscribe(lambda event: seen.append(event.reply.contact_id))
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    with caplog.at_level(logging.ERROR, logger="replytrack.events"):
        result = tracker.ingest("sales", make_reply(send), received_at=at(2))
    assert result.outcome is Outcome.REPLY
    assert seen == ["c1"]
    [error] = result.subscriber_errors
    assert "CRM webhook down" in error.error
    assert "broken" in error.subscriber
    assert "reply subscriber" in caplog.text
    assert tracker.report("spring").replies == 1


def test_subscribers_hear_each_new_reply_once_and_can_unsubscribe() -> None:
    tracker = make_tracker()
    seen: list[str] = []
    unsubscribe = tracker.subscribe(lambda event: seen.append(event.reply.inbound_id))
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    first = make_reply(send)
    tracker.ingest("sales", first, received_at=at(2))
    tracker.ingest("sales", first, received_at=at(2))
    unsubscribe()
    tracker.ingest("sales", make_reply(send), received_at=at(3))
    assert len(seen) == 1


def test_two_tenants_in_one_store_never_see_each_others_sends() -> None:
    store = MemoryStore()
    acme = make_tracker(store, tenant="acme")
    globex = make_tracker(store, tenant="globex")
    send = acme.record_send(SPRING, BOB, sent_at=at(1))
    assert (
        globex.ingest("sales", make_reply(send), received_at=at(2)).outcome is Outcome.NOT_A_REPLY
    )
    assert acme.ingest("sales", make_reply(send), received_at=at(2)).outcome is Outcome.REPLY
    assert globex.report().replies == 0


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_order_of_a_batch_with_repeats_gives_the_same_report_and_properties(
    data: st.DataObject,
) -> None:
    setup = make_tracker()
    sends = [setup.record_send(SPRING, c, sent_at=at(1)) for c in (BOB, ANN, BOB)]
    messages = [
        (make_reply(send, message_id=f"<m{n}@example.org>"), at(2 + n))
        for n, send in enumerate(sends)
    ]
    messages.append((make_reply(sends[0], headers={"Auto-Submitted": "auto-replied"}), at(9)))

    def replay(order: list[tuple[bytes, datetime]]) -> tuple[object, ...]:
        tracker = make_tracker()
        tracker.store.save_email(tracker.tenant, SPRING)
        tracker.store.save_contacts(tracker.tenant, [BOB, ANN])
        tracker.store.add_sends(tracker.tenant, sends)  # the same sends, so the tokens verify
        for raw, when in order:
            tracker.ingest("sales", raw, received_at=when)
        return (
            tracker.report("spring"),
            tracker.contact_properties("c1"),
            tracker.contact_properties("c2"),
            [r.key for r in tracker.replies("spring")],
        )

    baseline = replay(messages)
    assert baseline[0].replies == 3  # type: ignore[attr-defined]
    repeats = data.draw(st.lists(st.sampled_from(messages), max_size=4))
    shuffled = data.draw(st.permutations(messages + repeats))
    assert replay(list(shuffled)) == baseline


def test_validate_and_plan_sends_use_the_connected_inboxes_at_the_clock_time() -> None:
    tracker = make_tracker()
    bad = MarketingEmail(
        id="bad",
        subject="S",
        from_address="sales@example.com",
        reply_to=ReplyTo.inbox("info@example.com"),
    )
    assert tracker.validate(SPRING).ok
    report = tracker.validate(bad)
    assert not report.ok
    assert report.codes == ["reply-to-not-connected"]
    plan = tracker.plan_sends(SPRING, [BOB, ANN])
    assert (plan.ok, plan.tracked) == (True, 2)
    assert [p.reply_to for p in plan.sends] == ["sales@example.com", "sales@example.com"]


class FlakySource:
    """A source that dies after yielding ``fail_after`` messages, like a dropped connection."""

    key = "flaky"

    def __init__(self, messages: list[bytes], fail_after: int | None) -> None:
        self.messages = messages
        self.fail_after = fail_after

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        start = int(after) if after else 0
        for position in range(start, len(self.messages)):
            if self.fail_after is not None and position >= self.fail_after:
                raise SourceError("connection reset by peer")
            yield SourceMessage(
                raw=self.messages[position], received_at=at(3), cursor=str(position + 1)
            )


def test_a_sync_that_dies_midway_resumes_without_loss_or_double_counting() -> None:
    tracker = make_tracker()
    sends = [tracker.record_send(SPRING, c, sent_at=at(1)) for c in (BOB, ANN, BOB, ANN, BOB)]
    messages = [make_reply(s, message_id=f"<r{n}@example.org>") for n, s in enumerate(sends)]

    with pytest.raises(SourceError):
        tracker.sync("sales", FlakySource(messages, fail_after=3), batch_size=2)
    assert tracker.store.get_cursor(tracker.tenant, "flaky") == "2"  # the batch that was stored
    assert tracker.report("spring").replies == 2

    summary = tracker.sync("sales", FlakySource(messages, fail_after=None), batch_size=2)
    assert summary.counts == {Outcome.REPLY: 3}
    assert summary.cursor == "5"
    assert tracker.report("spring").replies == 5


def test_a_batch_size_below_one_is_refused_before_anything_is_ingested() -> None:
    tracker = make_tracker()
    with pytest.raises(ConfigurationError, match="batch_size must be at least 1, got 0"):
        tracker.ingest_many("sales", [make_message()], batch_size=0)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_waits_while_a_batch_runs_and_is_left_as_it_was(
    enabled: bool,
) -> None:
    during: list[bool] = []

    def clock() -> datetime:  # called inside the batch for a message without a received time
        during.append(gc.isenabled())
        return at(2)

    tracker = Tracker(MemoryStore(), secret=SECRET, domain="mail.example.com", clock=clock)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=T0)
    send = tracker.record_send(SPRING, BOB, sent_at=at(1))
    before = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        # an empty Date and no Received field: the clock gives the message its time
        result = tracker.ingest("sales", make_reply(send, date=""))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if before else gc.disable)()
    assert during == [False]
    assert result.outcome is Outcome.REPLY


def test_the_limits_given_to_the_tracker_bound_what_ingest_reads() -> None:
    from replytrack import Limits

    strict = Tracker(
        MemoryStore(), secret=b"k" * 32, domain="mail.example.com", limits=Limits(header_bytes=64)
    )
    strict.connect_inbox(Inbox(id="sales", address="sales@example.com"), T0)
    raw = b"Subject: " + b"x" * 200 + b"\r\nFrom: a@example.org\r\n\r\nhello\r\n"
    result = strict.ingest("sales", raw, received_at=T0 + timedelta(hours=1))
    assert result.outcome is Outcome.MALFORMED
    assert "64" in result.reason
