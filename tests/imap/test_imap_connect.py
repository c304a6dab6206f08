"""Connecting: TLS and its checks, passwords and OAuth tokens, the distinct errors (none of
which, nor any log record or repr, ever shows a secret), IDLE, a token that expires."""

from __future__ import annotations

import base64
import logging
import socket
import ssl
import threading
import time

import pytest
from imap_helpers import Mailbox

from dovecot import Dovecot
from replytrack import Outcome
from replytrack.errors import ReplytrackError, SourceError
from replytrack.sources.imap import (
    ImapCredentialsError,
    ImapSource,
    ImapTLSError,
    ImapTokenError,
    ImapUnreachableError,
    watch,
)


def baseline(mailbox: Mailbox, source: ImapSource) -> None:
    mailbox.tracker.store.set_cursor("default", source.key, source.baseline())


def trusting(dovecot: Dovecot) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(dovecot.ca_file))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once it is closed


# -- TLS ------------------------------------------------------------------------------
def test_tls_is_the_default_and_checks_the_certificate(mailbox: Mailbox) -> None:
    server = mailbox.server
    assert ImapSource(host="h", username="u", password="p").security == "tls"
    source = mailbox.source(security="tls", port=server.tls_port, host="localhost")
    with pytest.raises(ImapTLSError, match="CERTIFICATE_VERIFY_FAILED"):
        source.baseline()  # self-signed: the system's CAs do not vouch for it
    trusted = mailbox.source(
        security="tls", port=server.tls_port, ssl_context=trusting(server), host="localhost"
    )
    baseline(mailbox, trusted)
    mailbox.reply()
    assert mailbox.tracker.sync("sales", trusted).counts == {Outcome.REPLY: 1}


def test_starttls_upgrades_the_plain_port_and_checks_the_certificate(mailbox: Mailbox) -> None:
    server = mailbox.server
    with pytest.raises(ImapTLSError):
        mailbox.source(security="starttls").baseline()
    source = mailbox.source(security="starttls", ssl_context=trusting(server))
    baseline(mailbox, source)
    mailbox.reply()
    assert mailbox.tracker.sync("sales", source).counts == {Outcome.REPLY: 1}


def test_a_host_name_the_certificate_does_not_name_is_refused(mailbox: Mailbox) -> None:
    server = mailbox.server
    # the certificate names localhost and 127.0.0.1, not 127.0.0.2
    source = mailbox.source(
        security="tls", port=server.tls_port, host="127.0.0.2", ssl_context=trusting(server)
    )
    with pytest.raises(ImapTLSError):
        source.baseline()


# -- errors ---------------------------------------------------------------------------
def test_wrong_password_refused_token_and_unreachable_server_give_distinct_errors(
    mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # IMAPClient logs every command at DEBUG
    other = mailbox.server.other_host
    wrong = "wrong-pass-2f8c1a"
    tokens = ["refused-token-91ab3e", "fresh-but-refused-77cd02"]
    asked: list[bool] = []

    def provider(*, refresh: bool) -> str:
        asked.append(refresh)
        return tokens[len(asked) - 1]

    sources = {
        ImapCredentialsError: mailbox.source(host=other, password=wrong),
        ImapTokenError: mailbox.source(host=other, token_provider=provider),
        ImapUnreachableError: mailbox.source(port=closed_port(), retries=2),
    }
    raised = {}
    for expected, source in sources.items():
        with pytest.raises(SourceError) as info:
            source.baseline()
        raised[expected] = info.value
        assert type(info.value) is expected
        assert isinstance(info.value, ReplytrackError)
        assert info.value.inbox == "sales"
        assert "'sales'" in str(info.value)
    assert asked == [False, True]  # a fresh token asked for once, after the refusal
    secrets = [wrong, mailbox.password, *tokens]
    shown = [repr(s) for s in sources.values()] + [str(e) for e in raised.values()]
    shown += [repr(e) for e in raised.values()] + [r.getMessage() for r in caplog.records]
    shown += [str(r.args) for r in caplog.records]
    assert caplog.records  # something was logged, and not one secret in it
    for secret in secrets:
        encoded = base64.b64encode(f"user={mailbox.user}\1auth=Bearer {secret}".encode())
        for text in shown:
            assert secret not in text
            assert encoded.decode() not in text


def test_a_token_provider_that_fails_is_a_token_error(mailbox: Mailbox) -> None:
    def provider(*, refresh: bool) -> str:
        raise RuntimeError("the OAuth server said invalid_grant")

    with pytest.raises(ImapTokenError, match="token provider failed"):
        mailbox.source(token_provider=provider).baseline()


def test_a_source_takes_a_password_or_a_token_provider(mailbox: Mailbox) -> None:
    with pytest.raises(ValueError, match="one"):
        ImapSource(host="h", username="u")
    with pytest.raises(ValueError, match="one"):
        ImapSource(host="h", username="u", password="p", token_provider=lambda refresh: "t")
    with pytest.raises(ValueError, match="security"):
        ImapSource(host="h", username="u", password="p", security="none")  # type: ignore[arg-type]


# -- tokens ---------------------------------------------------------------------------
class Tokens:
    """An OAuth client's token cache: Dovecot takes the user's password as the token, so
    "expiring" it means the cached token becomes one the server refuses."""

    def __init__(self, valid: str) -> None:
        self.valid = valid
        self.cached = valid
        self.asked: list[bool] = []

    def __call__(self, *, refresh: bool) -> str:
        self.asked.append(refresh)
        if refresh:
            self.cached = self.valid
        return self.cached


def test_a_token_that_expires_mid_sync_is_refreshed_and_the_sync_completes(
    mailbox: Mailbox,
) -> None:
    tokens = Tokens(mailbox.password)
    source = mailbox.source(token_provider=tokens, batch_size=2)
    baseline(mailbox, source)
    for _ in range(6):
        mailbox.reply()
    read = 0
    for message in source.fetch(mailbox.tracker.store.get_cursor("default", source.key)):
        read += 1
        if read == 3:  # mid-sync: the token expires and the server ends the session
            tokens.cached = "expired-token"
            mailbox.server.kick(mailbox.user)
        assert message.raw
    assert read == 6
    assert tokens.asked[-2:] == [False, True]


def test_oauth_login_syncs_like_a_password(mailbox: Mailbox) -> None:
    source = mailbox.source(token_provider=Tokens(mailbox.password))
    baseline(mailbox, source)
    mailbox.reply()
    assert mailbox.tracker.sync("sales", source).counts == {Outcome.REPLY: 1}


# -- IDLE -----------------------------------------------------------------------------
def test_idle_wakes_a_waiting_sync(mailbox: Mailbox) -> None:
    source = mailbox.source()
    baseline(mailbox, source)
    stop = threading.Event()
    summaries = []

    def run() -> None:
        for summary in watch(mailbox.tracker, "sales", source, wait=20.0, stop=stop):
            summaries.append((time.monotonic(), summary))
            if summary.total:
                stop.set()

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(1.0)  # the first sync is done, the watch waits in IDLE
    delivered = time.monotonic()
    mailbox.reply()
    thread.join(timeout=15)
    assert not thread.is_alive()
    woken, last = summaries[-1]
    assert last.counts == {Outcome.REPLY: 1}
    assert woken - delivered < 5.0  # woken by the server, not by the 20 s wait


def test_wait_returns_at_once_when_mail_arrived_before_it_began(mailbox: Mailbox) -> None:
    source = mailbox.source()
    cursor = source.baseline()
    mailbox.reply()
    started = time.monotonic()
    assert source.wait(cursor, 20.0)
    assert time.monotonic() - started < 3.0


def test_wait_times_out_when_nothing_arrives(mailbox: Mailbox) -> None:
    source = mailbox.source()
    started = time.monotonic()
    assert not source.wait(source.baseline(), 1.0)
    assert 0.9 < time.monotonic() - started < 8.0
