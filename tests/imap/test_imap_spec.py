"""imap:// source specs: credentials from the environment, a baseline when the inbox is
connected, and sync_all reading each inbox from its saved spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from imap_helpers import Mailbox

from replytrack import Outcome
from replytrack.errors import ConfigurationError
from replytrack.sources.imap import ImapSource
from replytrack.sources.spec import open_source, save_inbox_source


def test_a_spec_names_the_mailbox_and_where_its_secret_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SALES_IMAP_PASSWORD", "app-password-1234")
    source = open_source(
        "imap://sales@example.com@imap.gmail.com/INBOX,%5CAll"
        "?password_env=SALES_IMAP_PASSWORD&inbox=sales"
    )
    assert isinstance(source, ImapSource)
    assert (source.host, source.username, source.port) == (
        "imap.gmail.com",
        "sales@example.com",
        None,
    )
    assert source.folders == ("INBOX", "\\All")
    assert source.password == "app-password-1234"
    assert source.security == "tls"
    assert source.key == "imap:sales@example.com@imap.gmail.com:993"
    assert "app-password-1234" not in repr(source)


def test_a_token_is_read_from_its_file_at_every_login(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first\n")
    source = open_source(f"imap://me@outlook.office365.com?auth=xoauth2&token_file={token}")
    assert isinstance(source, ImapSource)
    assert source.token_provider is not None
    assert source.token_provider(refresh=False) == "first"
    token.write_text("second")
    assert source.token_provider(refresh=True) == "second"
    assert "first" not in repr(source)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("imap://imap.example.com", "LOGIN@HOST"),
        ("imap://me@imap.example.com?colour=red", "unknown option"),
        ("imap://me@imap.example.com?auth=kerberos", "auth must be"),
        ("imap://me@imap.example.com?password_env=NOT_SET_ANYWHERE_42", "NOT_SET_ANYWHERE_42"),
    ],
)
def test_a_spec_that_cannot_be_used_says_why(spec: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        open_source(spec)


def test_connecting_an_inbox_by_spec_takes_a_baseline_and_sync_all_reads_it(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", mailbox.password)
    server = mailbox.server
    spec = (
        f"imap://{mailbox.user}@{server.host}:{server.port}/INBOX"
        "?security=plain&password_env=TEST_IMAP_PASSWORD&inbox=sales"
    )
    mailbox.reply()  # history: never counts
    tracker = mailbox.tracker
    save_inbox_source(tracker.store, tracker.tenant, "sales", spec)
    mailbox.reply()
    summary = tracker.sync_all()
    result = summary.inboxes["sales"].summary
    assert result is not None
    assert result.counts == {Outcome.REPLY: 1}
    assert mailbox.replies() == 1
