"""ImapSource against a real Dovecot: baseline, new mail, read-only, resets, folders, a sync
stopped half way. Dovecot's quirks are noted next to the tests that meet them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from imap_helpers import Mailbox

from dovecot import Dovecot
from replytrack import MemoryStore, Outcome
from replytrack.protocols import SourceMessage
from replytrack.sources.imap import HeaderBatch, ImapSource


def baseline(mailbox: Mailbox, source: ImapSource) -> None:
    tracker = mailbox.tracker
    tracker.store.set_cursor(tracker.tenant, source.key, source.baseline())


def test_mail_already_in_the_folder_never_counts_and_new_mail_does(mailbox: Mailbox) -> None:
    mailbox.reply()
    mailbox.reply()
    source = mailbox.source()
    baseline(mailbox, source)
    assert mailbox.tracker.sync("sales", source).total == 0
    mailbox.reply()
    mailbox.other_mail(1)
    summary = mailbox.tracker.sync("sales", source)
    assert summary.counts == {Outcome.REPLY: 1, Outcome.NOT_A_REPLY: 1}
    assert summary.warnings == ()
    assert mailbox.replies() == 1
    assert mailbox.tracker.sync("sales", source).total == 0


def test_messages_stay_unread_and_unflagged(mailbox: Mailbox) -> None:
    source = mailbox.source()
    baseline(mailbox, source)
    for _ in range(3):
        mailbox.reply()
    # doveadm reads flags without touching them; \Recent is the server's, never ours to set
    before = mailbox.server.flags(mailbox.user)
    assert mailbox.tracker.sync("sales", source).counts == {Outcome.REPLY: 3}
    after = mailbox.server.flags(mailbox.user)
    assert len(after) == 3
    assert all("\\Seen" not in f and "\\Flagged" not in f for f in after), after
    assert [f.replace("\\Recent", "").strip() for f in after] == [
        f.replace("\\Recent", "").strip() for f in before
    ]


def test_a_uidvalidity_reset_neither_loses_nor_double_counts(mailbox: Mailbox) -> None:
    source = mailbox.source()
    baseline(mailbox, source)
    mailbox.reply()
    mailbox.other_mail(1)
    assert mailbox.tracker.sync("sales", source).counts == {
        Outcome.REPLY: 1,
        Outcome.NOT_A_REPLY: 1,
    }
    mailbox.server.set_uidvalidity(mailbox.user, "INBOX", 4242)
    mailbox.reply()
    summary = mailbox.tracker.sync("sales", source)
    # the window read again: the stored reply comes back DUPLICATE, the other mail is read
    # again as NOT_A_REPLY (nothing stored, nothing counted), the new reply counts
    assert summary.counts == {Outcome.REPLY: 1, Outcome.DUPLICATE: 1, Outcome.NOT_A_REPLY: 1}
    assert len(summary.warnings) == 1
    assert "UIDVALIDITY of INBOX changed" in summary.warnings[0]
    assert mailbox.replies() == 2
    assert not source.needs_reconnect
    mailbox.reply()
    assert mailbox.tracker.sync("sales", source).counts == {Outcome.REPLY: 1}
    assert mailbox.replies() == 3


def test_repeated_resets_flag_the_inbox_for_reconnection(mailbox: Mailbox) -> None:
    source = mailbox.source(reset_limit=2)
    baseline(mailbox, source)
    mailbox.reply()
    for value in (5001, 5002):
        mailbox.server.set_uidvalidity(mailbox.user, "INBOX", value)
        summary = mailbox.tracker.sync("sales", source)
    assert source.needs_reconnect
    assert any("connect the inbox again" in w for w in summary.warnings)
    assert mailbox.replies() == 1


def test_a_lost_cursor_reads_a_window_again_and_counts_nothing_twice(mailbox: Mailbox) -> None:
    source = mailbox.source()
    baseline(mailbox, source)
    mailbox.reply()
    mailbox.tracker.sync("sales", source)
    mailbox.tracker.store.set_cursor(mailbox.tracker.tenant, source.key, "garbage")
    mailbox.reply()
    summary = mailbox.tracker.sync("sales", source)
    assert summary.counts == {Outcome.REPLY: 1, Outcome.DUPLICATE: 1}
    assert "cannot read" in summary.warnings[0]
    assert mailbox.replies() == 2


class Killed(Exception):
    """Stands for the process dying half way through a batch."""


class DiesAfterFive(ImapSource):
    """Its fetch dies after five messages."""

    def fetch(self, after: str | None) -> Iterator[SourceMessage]:
        for number, message in enumerate(super().fetch(after)):
            if number == 5:
                raise Killed
            yield message


def test_a_sync_killed_mid_batch_and_run_again_counts_each_message_once(
    mailbox: Mailbox,
) -> None:
    source = mailbox.source(DiesAfterFive, batch_size=2)
    baseline(mailbox, source)
    for _ in range(7):
        mailbox.reply()
    with pytest.raises(Killed):
        mailbox.tracker.sync("sales", source, batch_size=2)
    assert mailbox.replies() == 4  # two batches stored, the third died half way
    summary = mailbox.tracker.sync("sales", mailbox.source(batch_size=2), batch_size=2)
    assert summary.counts == {Outcome.REPLY: 3}
    assert mailbox.replies() == 7


class DroppedBeforeBodies(ImapSource):
    """The server ends the session before each of the first two body fetches."""

    server: Dovecot | None = None
    kicks = 0

    def fetch_bodies(
        self, batch: HeaderBatch, uids: Sequence[int] | None = None
    ) -> dict[int, bytes]:
        if self.kicks < 2:
            DroppedBeforeBodies.kicks += 1
            assert self.server is not None
            self.server.kick(self.username)
        return super().fetch_bodies(batch, uids)


def test_a_connection_dropped_between_headers_and_bodies_loses_nothing(
    mailbox: Mailbox,
) -> None:
    DroppedBeforeBodies.server = mailbox.server
    source = mailbox.source(DroppedBeforeBodies, batch_size=3)
    baseline(mailbox, source)
    for _ in range(6):
        mailbox.reply()
    assert mailbox.tracker.sync("sales", source).counts == {Outcome.REPLY: 6}
    assert DroppedBeforeBodies.kicks == 2
    assert mailbox.replies() == 6


def test_a_message_in_two_folders_counts_once(mailbox: Mailbox) -> None:
    # Gmail shows one message in INBOX and All Mail; Dovecot keeps two copies of it,
    # found through the \All special-use attribute and read once by their Message-ID.
    source = mailbox.source(folders=("INBOX", "\\All"))
    baseline(mailbox, source)
    assert "\\All" in source.special_folders()
    raw = mailbox.reply()
    mailbox.server.save(mailbox.user, raw, "All Mail")
    summary = mailbox.tracker.sync("sales", source)
    assert summary.counts == {Outcome.REPLY: 1}
    assert mailbox.replies() == 1
    # in a later sync, the copy comes back as a DUPLICATE of the stored record
    mailbox.server.save(mailbox.user, raw, "All Mail")
    assert mailbox.tracker.sync("sales", source).counts == {Outcome.DUPLICATE: 1}
    assert mailbox.replies() == 1


def test_replies_filtered_into_another_watched_folder_are_found(mailbox: Mailbox) -> None:
    source = mailbox.source(folders=("INBOX", "Junk"))
    baseline(mailbox, source)
    mailbox.reply("Junk")
    mailbox.reply("INBOX")
    assert mailbox.tracker.sync("sales", source).counts == {Outcome.REPLY: 2}


def test_a_special_use_that_no_folder_has_is_a_warning(mailbox: Mailbox) -> None:
    source = mailbox.source(folders=("INBOX", "\\Archive"))
    baseline(mailbox, source)
    summary = mailbox.tracker.sync("sales", source)
    assert summary.warnings == ("no folder has the special use \\Archive: it is not read",)


def test_the_highest_uid_is_not_read_again_when_nothing_is_new(mailbox: Mailbox) -> None:
    # "UID SEARCH UID n:*" answers the highest UID even when it is below n
    source = mailbox.source()
    baseline(mailbox, source)
    mailbox.reply()
    assert mailbox.tracker.sync("sales", source).total == 1
    assert list(source.fetch(mailbox.tracker.store.get_cursor("default", source.key))) == []


def test_headers_and_bodies_are_fetched_apart_and_make_the_whole_message(
    mailbox: Mailbox, dovecot: Dovecot
) -> None:
    source = mailbox.source(batch_size=2)
    baseline(mailbox, source)
    sent = [mailbox.reply() for _ in range(3)]
    cursor = mailbox.tracker.store.get_cursor("default", source.key)
    whole, sizes = [], []
    for batch in source.fetch_headers(cursor):
        assert len(batch.messages) <= 2
        bodies = source.fetch_bodies(batch)
        whole += [m.header + bodies[m.uid] for m in batch.messages]
        sizes += [m.size for m in batch.messages]
    assert sizes == [len(w) for w in whole]  # RFC822.SIZE: the message as the server keeps it
    assert [w.replace(b"\r\n", b"\n") for w in whole] == [s.replace(b"\r\n", b"\n") for s in sent]


def test_a_tracker_on_another_store_starts_from_its_own_cursor(mailbox: Mailbox) -> None:
    source = mailbox.source()
    store = MemoryStore()
    assert store.get_cursor("default", source.key) is None
    assert source.key == f"imap:{mailbox.user}@127.0.0.1:{mailbox.server.port}"
