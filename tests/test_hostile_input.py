"""Hostile mail (issue 11): every message that once hung or crashed ingest, read as it should be,
then a Hypothesis suite of structured but broken MIME, hostile ids, dates and bytes.

Each regression builds the message and checks what ingest makes of it (outcome, verdict,
stored text), through ``Tracker.ingest`` on a MemoryStore. The suite checks invariants on
generated mail; every example runs under a deadline and an alarm, so a hang fails it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replytrack import (
    Contact,
    Inbox,
    IngestResult,
    MarketingEmail,
    MatchStrategy,
    MemoryStore,
    MessageKind,
    Outcome,
    ReplyTo,
    Send,
    Tracker,
)
from replytrack.autoreply import Verdict, classify
from replytrack.correlate import Correlator, Pending
from replytrack.errors import MalformedMessageError
from replytrack.headers import TokenSigner, normalise_msg_id
from replytrack.message import RawMessage

SECRET = b"s" * 32
DOMAIN = "mail.example.com"
CONNECTED = datetime(2026, 1, 1, tzinfo=UTC)
SENT = datetime(2026, 2, 1, tzinfo=UTC)
RECEIVED = datetime(2026, 3, 1, tzinfo=UTC)
CONTACTS = {"c-bob": ("bob@example.org",), "c-carol": ("carol@example.org",)}


class Hang(BaseException):  # not an Exception: no guard in the code under test swallows it
    """An example ran past the alarm: a scan that does not end."""


@contextlib.contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise Hang in this thread after ``seconds`` (only where signals can be set).

    Nests: an outer alarm is put back, less the time spent inside, when this one ends.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(_signum: int, _frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    started = time.monotonic()
    outer, _interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        left = outer - (time.monotonic() - started) if outer else 0.0
        signal.setitimer(signal.ITIMER_REAL, max(left, 0.001) if outer else 0.0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _no_test_hangs() -> Iterator[None]:
    """Every test here fails instead of hanging (a scan that never ends raises Hang)."""
    with alarm(20):
        yield


@attrs.frozen
class World:
    tracker: Tracker
    store: MemoryStore
    bob: Send
    carol: Send

    def ingest(self, raw: bytes) -> IngestResult:
        return self.tracker.ingest("sales", raw, received_at=RECEIVED)


def _world() -> World:
    store = MemoryStore()
    tracker = Tracker(store, secret=SECRET, domain=DOMAIN)
    tracker.connect_inbox(Inbox(id="sales", address="sales@example.com"), connected_at=CONNECTED)
    email = MarketingEmail(
        id="spring",
        subject="Spring sale",
        from_address="sales@example.com",
        reply_to=ReplyTo.inbox("sales@example.com"),
    )
    contacts = [Contact(id=cid, emails=emails) for cid, emails in CONTACTS.items()]
    bob, carol = tracker.record_sends(email, contacts, sent_at=SENT)
    return World(tracker, store, bob, carol)


@pytest.fixture
def world() -> World:
    return _world()


def mail(
    *,
    frm: str = "Bob <bob@example.org>",
    subject: str = "Re: Spring sale",
    date_line: str = "Sun, 01 Mar 2026 09:00:00 +0000",
    headers: str = "",
    content_type: str = "text/plain; charset=utf-8",
    body: bytes = b"Count me in.\r\n",
) -> bytes:
    head = (
        f"From: {frm}\r\nTo: sales@example.com\r\nSubject: {subject}\r\nDate: {date_line}\r\n"
        f"Message-ID: <in-{id(body)}-{len(body)}@example.org>\r\n{headers}"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + body


def threaded(send: Send) -> str:
    return f"In-Reply-To: {send.message_id}\r\nReferences: {send.message_id}\r\n"


# -- defect 1: the MIME walker's two endless shapes --------------------------------------------
def test_a_top_level_alternative_ending_in_a_bare_delimiter_is_a_reply(world: World) -> None:
    raw = mail(  # no threading headers: the classifier's body rules and the fallback run
        content_type='multipart/alternative; boundary="b"',
        body=b"--b\r\nContent-Type: text/html\r\n\r\n<p>Count me in</p>\r\n--b",
    )
    result = world.ingest(raw)
    assert result.outcome is Outcome.REPLY
    assert result.match is not None
    assert result.match.strategy is MatchStrategy.FALLBACK
    assert result.reply is not None
    assert result.reply.snippet == "Count me in"


def test_a_nested_alternative_missing_its_closing_delimiter_is_a_reply(world: World) -> None:
    raw = mail(
        headers=threaded(world.bob),
        content_type='multipart/mixed; boundary="o"',
        body=b'--o\r\nContent-Type: multipart/alternative; boundary="i"\r\n\r\n'
        b"--i\r\nContent-Type: text/html\r\n\r\n<p>Count me in</p>\r\n--i\r\n--o--\r\n",
    )
    result = world.ingest(raw)
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.snippet == "Count me in"


# -- defect 2: each exception that escaped ingest ----------------------------------------------
def test_a_non_ascii_character_in_a_token_is_a_forged_token_not_a_type_error(
    world: World,
) -> None:
    token = world.bob.message_id.strip("<>").partition("@")[0]
    raw = mail(headers=f"In-Reply-To: <{token[:-1]}é@{DOMAIN}>\r\n")
    result = world.ingest(raw)
    # A token that fails verification never falls back, though sender and subject match.
    assert (result.outcome, result.match) == (Outcome.NOT_A_REPLY, None)
    genuine = world.ingest(mail(headers=f"In-Reply-To: <{token}@{DOMAIN}>\r\n"))
    assert genuine.outcome is Outcome.REPLY


def test_html_with_a_less_than_sign_ending_a_line_is_a_reply_with_its_text(world: World) -> None:
    raw = mail(
        headers=threaded(world.bob),
        content_type="text/html",
        body=b"<p>Count me in <\r\n</p><p>Bob</p>",
    )
    result = world.ingest(raw)
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.snippet == "Count me in Bob"


def _out_of_office(world: World, text: str, date_line: str) -> IngestResult:
    return world.ingest(
        mail(
            subject="Automatic reply: Spring sale",
            date_line=date_line,
            headers=threaded(world.bob) + "Auto-Submitted: auto-replied\r\n",
            body=text.encode(),
        )
    )


def test_a_return_date_with_a_time_zone_is_read_as_its_day(world: World) -> None:
    result = _out_of_office(
        world,
        "I am out of the office, back on 10 March 09:00 +01:00.",
        "Mon, 02 Mar 2026 08:00 +0000",
    )
    assert result.outcome is Outcome.AUTOMATIC
    assert result.verdict is not None
    assert result.verdict.return_date == date(2026, 3, 10)
    assert result.verdict.subtype == "out_of_office"


def test_a_return_date_that_would_fall_in_year_10000_is_none(world: World) -> None:
    result = _out_of_office(
        world, "I am out of the office until 3 January.", "Fri, 10 Dec 9999 08:00 +0000"
    )
    assert result.outcome is Outcome.AUTOMATIC
    assert result.verdict is not None
    assert result.verdict.kind is MessageKind.AUTO_REPLY
    assert result.verdict.return_date is None


def test_a_date_header_in_year_ten_to_the_twentieth_is_ignored(world: World) -> None:
    result = _out_of_office(
        world, "I am out of the office until 3 January 2027.", f"Thu, 01 Jan {10**20} 08:00 +0000"
    )
    assert result.outcome is Outcome.AUTOMATIC
    assert result.verdict is not None
    assert result.verdict.return_date == date(2027, 1, 3)


def test_a_from_with_five_hundred_nested_parentheses_is_read(world: World) -> None:
    result = world.ingest(mail(frm="(" * 500 + "bob@example.org", headers=threaded(world.bob)))
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.from_address == "bob@example.org"


def test_an_idna_charset_behind_an_rfc2231_boundary_is_read_as_utf8(world: World) -> None:
    raw = mail(
        headers=threaded(world.bob),
        content_type="multipart/mixed; boundary*=b",
        body=b"--b\r\nContent-Type: text/plain; charset=idna\r\n\r\n"
        + "Café at noon".encode()
        + b"\r\n--b--\r\n",
    )
    result = world.ingest(raw)
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.snippet == "Café at noon"


def _nested(levels: int, text: bytes) -> bytes:
    body = b"".join(
        f"--b{n}\r\nContent-Type: multipart/mixed; boundary=b{n + 1}\r\n\r\n".encode()
        for n in range(levels - 1)
    )
    return body + f"--b{levels - 1}\r\n\r\n".encode() + text + b"\r\n"


def test_multipart_nested_a_thousand_deep_is_a_reply_whose_text_is_not_read(world: World) -> None:
    raw = mail(
        headers=threaded(world.bob),
        content_type="multipart/mixed; boundary=b0",
        body=_nested(1000, b"out of office, back on 3 March"),
    )
    result = world.ingest(raw)
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    assert result.reply.snippet == ""
    unthreaded = world.ingest(raw.replace(b"In-Reply-To", b"X-Was").replace(b"References", b"X-W"))
    assert unthreaded.verdict == Verdict(kind=MessageKind.HUMAN)  # the body was never read


# -- defect 3: quadratic scans, at the 1 MiB header limit ----------------------------------------
@pytest.mark.parametrize("char", ["a", "<", "(", "@", "="])
def test_a_mebibyte_references_run_of_one_character_is_read_past(world: World, char: str) -> None:
    run = char * ((1 << 20) - 4096)
    raw = mail(headers=f"In-Reply-To: {world.bob.message_id}\r\nReferences: {run}\r\n")
    result = world.ingest(raw)
    assert result.outcome is Outcome.REPLY
    assert result.match is not None
    assert result.match.strategy is MatchStrategy.TOKEN


def test_a_mebibyte_of_folded_encoded_words_still_finds_the_newest_reference(world: World) -> None:
    words = "".join(f"=?utf-8?q?<old{n}@example.org>?=\r\n " for n in range(28_000))
    raw = mail(headers=f"References: {words}{world.bob.message_id}\r\n")
    assert len(raw) > 1_000_000
    result = world.ingest(raw)
    assert result.outcome is Outcome.REPLY
    assert result.match is not None
    assert result.match.strategy is MatchStrategy.TOKEN


def test_a_mebibyte_subject_of_encoded_words_is_decoded_within_the_limit(world: World) -> None:
    subject = "\r\n ".join(["=?utf-8?q?Spring_sal=C3=A9?="] * 30_000)
    result = world.ingest(mail(subject=subject, headers=threaded(world.bob)))
    assert result.outcome is Outcome.REPLY
    assert result.reply is not None
    decoded = result.reply.subject  # its first 8,000 characters, 100 encoded words decoded
    assert decoded.startswith("Spring saléSpring salé")
    assert decoded.count("Spring salé") == 100
    assert decoded.count("=?utf-8?q?Spring_sal=C3=A9?=") == 8000 // 29 - 100
    assert len(decoded) < 8000


# -- the Hypothesis suite ----------------------------------------------------------------------
HOSTILE = settings(
    max_examples=120,
    deadline=timedelta(seconds=2),  # slow but finishing; the alarm catches what never ends
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EOLS = st.sampled_from(["\r\n", "\n", "\r"])
TEXTS = st.one_of(
    st.text(alphabet="abc <>/=&;\t\r\n\x00é€", max_size=40),
    st.sampled_from(
        [
            "<p>Count me in <",
            "out of the office, back on 10 March 09:00 +01:00",
            "until 3 January",
            "back on ² march, back on 99999999999999999999 march",
            "this is an automatic reply",
            "=?utf-8?q?caf=C3=A9?=",
            "Undeliverable: user unknown",
            "message/delivery-status",
        ]
    ),
)
CHARSETS = st.sampled_from(
    ["utf-8", "idna", "punycode", "utf-7", "x-bogus", "latin-1", "", "base64"]
)
ENCODINGS = st.sampled_from(["", "base64", "quoted-printable", "7bit", "x-uuencode"])
BOUNDARIES = st.sampled_from(["b", "=_part", "a b", "--", "é", "b" * 80])


@st.composite
def boundary_param(draw: st.DrawFn, boundary: str) -> str:
    form = draw(st.sampled_from(["quoted", "plain", "2231", "2231-split", "2231-charset", "none"]))
    return {
        "quoted": f'boundary="{boundary}"',
        "plain": f"boundary={boundary}",
        "2231": f"boundary*={boundary}",
        "2231-split": f"boundary*0={boundary[:1]}; boundary*1={boundary[1:]}",
        "2231-charset": f"boundary*=utf-8''{boundary}",
        "none": "charset=utf-8",
    }[form]


@st.composite
def entity(draw: st.DrawFn, depth: int = 0) -> tuple[str, bytes]:
    """(Content-Type and other part headers, body) of a MIME entity, maybe broken."""
    kinds = ["text", "html", "binary"] + (["multipart", "multipart"] if depth < 5 else [])
    kind = draw(st.sampled_from(kinds))
    eol = draw(EOLS)
    if kind != "multipart":
        media = {"text": "text/plain", "html": "text/html", "binary": "application/pdf"}[kind]
        head = f"Content-Type: {media}; charset={draw(CHARSETS)}{eol}"
        head += f"Content-Transfer-Encoding: {draw(ENCODINGS)}{eol}"
        if draw(st.booleans()):
            head += f"Content-Disposition: {draw(st.sampled_from(['attachment', 'inline']))}{eol}"
        return head, eol.join(draw(st.lists(TEXTS, max_size=4))).encode("utf-8", "surrogatepass")
    boundary = draw(BOUNDARIES) + str(depth)
    subtype = draw(st.sampled_from(["mixed", "alternative", "report", "related"]))
    head = f"Content-Type: multipart/{subtype}; {draw(boundary_param(boundary))}{eol}"
    delimiter = b"--" + boundary.encode()
    body = draw(st.sampled_from([b"", b"preamble\r\n", b"--", delimiter[:-1]]))
    for part_head, part_body in draw(st.lists(entity(depth + 1), max_size=3)):
        line_end = draw(EOLS).encode()
        body += delimiter + line_end + part_head.encode() + line_end + part_body + line_end
        if draw(st.integers(0, 5)) == 0:
            body += delimiter + line_end  # a duplicated delimiter: an empty part
    ending = draw(st.sampled_from(["closed", "missing", "bare", "cut"]))
    if ending == "closed":
        body += delimiter + b"--" + eol.encode() + b"epilogue"
    elif ending == "bare":
        body += delimiter  # a delimiter at the very end, no line break after it
    elif ending == "cut":
        body = body[: draw(st.integers(0, len(body)))]
    return head, body


def _ids(world: World) -> st.SearchStrategy[str]:
    tokens = [world.bob.message_id, world.carol.message_id]
    local = world.bob.message_id.strip("<>").partition("@")[0]
    return st.one_of(
        st.sampled_from(tokens),
        st.sampled_from([f"<{local[:-1]}é@{DOMAIN}>", f"<{local.upper()}@{DOMAIN}>", "<>", "<@>"]),
        st.text(alphabet="<>()@\\ \t,rt1.abcdef0123456789é\x00", max_size=60),
        st.builds(lambda c, n: c * n, st.sampled_from("<>(@a=\\ "), st.integers(0, 3000)),
    )


DATES = st.one_of(
    st.builds(
        "{:%a, %d %b} {} 10:00:00 {}".format,
        st.dates(),
        st.sampled_from(["2026", "9999", "0", str(10**20), "99999"]),
        st.sampled_from(["+0000", "-1200", "+9999", "", "GMT"]),
    ),
    st.text(max_size=20),
)
FROMS = st.one_of(
    st.sampled_from(["Bob <bob@example.org>", "carol@example.org", "", "<>", "MAILER-DAEMON"]),
    st.builds(lambda n: "(" * n + "bob@example.org", st.integers(0, 600)),
    st.builds(lambda n: '"' + "x" * n + '" <bob@example.org>', st.integers(0, 6000)),
    st.text(alphabet='()<>"\\@bo ,;:', max_size=40),
)


@st.composite
def deep_entity(draw: st.DrawFn) -> tuple[str, bytes]:
    """Multipart nested hundreds of levels deep, its innermost text maybe never closed."""
    levels = draw(st.integers(2, 1500))
    eol = draw(EOLS)
    body = "".join(
        f"--d{n}{eol}Content-Type: multipart/mixed; boundary=d{n + 1}{eol}{eol}"
        for n in range(levels)
    )
    body += f"--d{levels}{eol}{eol}{draw(TEXTS)}"
    return f"Content-Type: multipart/mixed; boundary=d0{eol}", body.encode("utf-8", "surrogatepass")


@st.composite
def hostile_mail(draw: st.DrawFn, world: World) -> bytes:
    head, body = draw(st.one_of(entity(), entity(), deep_entity()))
    eol = draw(EOLS)
    fields = [
        f"From: {draw(FROMS)}",
        "To: sales@example.com",
        f"Subject: {draw(st.one_of(st.just('Re: Spring sale'), TEXTS))}",
        f"Date: {draw(DATES)}",
    ]
    if draw(st.booleans()):
        fields.append(f"In-Reply-To: {draw(_ids(world))}")
    if draw(st.booleans()):
        fields.append(f"References: {draw(_ids(world))}")
    extra = draw(st.lists(st.sampled_from(["Auto-Submitted: auto-replied", "Precedence: bulk",
                                           "X-Failed-Recipients: bob@example.org",
                                           "List-Unsubscribe: <mailto:x@y>"]), max_size=2))  # fmt: skip
    raw = (eol.join(fields + extra) + eol + head + eol).encode("utf-8", "surrogatepass") + body
    if draw(st.integers(0, 4)) == 0:  # 8-bit and NUL bytes anywhere
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\x00", b"\xff\xfe", b"\xe9", b"\r"])) + raw[at:]
    return raw


WORLD = _world()


@HOSTILE
@given(data=st.data())
def test_classify_gives_a_verdict_of_a_known_kind_for_any_hostile_mail(data: st.DataObject) -> None:
    raw = data.draw(hostile_mail(WORLD))
    with alarm(5):
        try:
            msg = RawMessage(raw)
        except MalformedMessageError:  # unreadable input may be refused, and only so
            return
        verdict = classify(msg)
        text = msg.body_text()
    assert verdict.kind in set(MessageKind)
    assert all(isinstance(reason, str) and reason for reason in verdict.reasons)
    assert verdict.return_date is None or isinstance(verdict.return_date, date)
    assert isinstance(text, str)


@HOSTILE
@given(data=st.data())
def test_correlation_never_gives_a_send_the_message_does_not_point_to(data: st.DataObject) -> None:
    raw = data.draw(hostile_mail(WORLD))
    with alarm(5):
        try:
            msg = RawMessage(raw)
        except MalformedMessageError:
            return
        verdict = classify(msg)
        signer = TokenSigner(SECRET, DOMAIN, "default")
        correlator = Correlator(WORLD.store, signer)
        inbox = Inbox(id="sales", address="sales@example.com", connected_at=CONNECTED)
        [match] = correlator.correlate_many([Pending(msg, inbox, RECEIVED, verdict)])
    if match is None:
        return
    send = match.send
    if match.strategy is MatchStrategy.FALLBACK:
        assert send.address == msg.from_address  # never another contact's send
    elif match.strategy is MatchStrategy.TOKEN:
        assert match.matched_id is not None
        assert signer.verify(match.matched_id) == send.id
    else:
        assert match.matched_id == normalise_msg_id(send.message_id)


@HOSTILE
@given(data=st.data())
def test_ingest_returns_a_result_for_any_hostile_mail_and_counts_only_the_sender(
    data: st.DataObject,
) -> None:
    world = _world()
    raw = data.draw(hostile_mail(world))
    with alarm(5):
        result = world.ingest(raw)
    assert result.outcome in set(Outcome)
    if result.outcome is Outcome.MALFORMED:  # only for mail that cannot be read at all
        with pytest.raises(MalformedMessageError):
            RawMessage(raw)
    if result.outcome is Outcome.REPLY:
        assert result.reply is not None
        assert result.reply.from_address in CONTACTS[result.reply.contact_id]
