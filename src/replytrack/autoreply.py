"""Tell human replies from out-of-office mail, auto-replies, bounces, receipts and bulk mail.

The rules run in a fixed order and the first that decides wins:

1. challenge-response senders (Boxbe dresses its challenges as delivery reports);
2. structure: ``multipart/report`` (RFC 6522) and report parts inside other multiparts;
3. bounce headers and subjects (X-Failed-Recipients, MTA senders, NDR subjects), so a
   bounce carrying ``Auto-Submitted`` is still a bounce;
4. auto-reply headers (RFC 3834 ``Auto-Submitted`` and the vendor headers);
5. the subject (localised "Automatic reply:" forms, Lotus, Sieve, AOL);
6. body phrases, a weak signal read only when the headers hint at automation or the
   message does not thread, and only on the new text above the quote;
7. bulk hints (List-*, Precedence, no-reply senders, Feedback-ID), which never override a
   personal reply relayed by a list.

Headers decide most messages without touching the body. ``docs/autoreply.md`` lists
every rule code, its source and how to override a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import date
from typing import Any, Generic, TypeVar, overload

import attrs

from replytrack import _autoreply_body as body
from replytrack import _autoreply_bounce as bounce_text
from replytrack import _autoreply_lists as lists
from replytrack import _autoreply_tables as tables
from replytrack import _bounce_tables as bounces
from replytrack._autoreply_report import read_report
from replytrack._autoreply_tables import Subtype
from replytrack.errors import ConfigurationError
from replytrack.limits import Limits
from replytrack.message import RawMessage, decode_words
from replytrack.models import MessageKind
from replytrack.quotes import new_text

__all__ = ["MessageKind", "Subtype", "Verdict", "classify"]

_SUBJECT_LIMIT = 2048
_FALSE = frozenset({"", "no", "false", "0", "off"})
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
_CHALLENGE_HEADERS = ("x-bluebottle-request",)
_CHALLENGE_DOMAINS = ("boxbe.com",)
_CHALLENGE_SUBDOMAINS = tuple("." + domain for domain in _CHALLENGE_DOMAINS)
# Headers of discussion lists (Mailman/Majordomo/Google Groups) and of bulk senders.
_LIST_HEADERS = ("list-post", "x-beenthere", "mailing-list")
_BULK_HEADERS = ("list-unsubscribe", "list-id", "feedback-id")
_LIST_KEYS = frozenset(name.encode() for name in _LIST_HEADERS)
_SUBJECT_HINTS = ("thank you for your", "out of office", "out of the office", "vacation",
                  "automatic", "auto-reply", "autoreply", "absence", "abwesen")  # fmt: skip
_AUTO_HEADERS = tuple(
    (name.encode(), name, accepted) for name, accepted in tables.AUTO_HEADER_VALUES.items()
)


@attrs.frozen(kw_only=True)
class Verdict:
    """What a message is, the rule codes that decided it, and details."""

    kind: MessageKind
    reasons: tuple[str, ...] = ()
    subtype: str | None = None
    return_date: date | None = None


_HUMAN = Verdict(kind=MessageKind.HUMAN)


def classify(message: bytes | RawMessage, *, limits: Limits | None = None) -> Verdict:
    """Classify one message (raw bytes, or the RawMessage the engine already has).

    ``limits`` bound the reading of a message given as bytes (the defaults when None);
    a RawMessage was built with its own, and passing others with it is an error.
    """
    if isinstance(message, RawMessage):
        if limits is not None and limits != message.limits:
            raise ConfigurationError("a RawMessage carries its own limits: pass them to it")
        msg = message
    else:
        msg = RawMessage(message) if limits is None else RawMessage(message, limits)
    facts = _Facts(msg)
    return _HUMAN if _plainly_human(facts) else _rules(facts)


def _rules(facts: _Facts) -> Verdict:
    return (
        _challenge(facts)
        or _structure(facts)
        or _bounce(facts)
        or _auto_headers(facts)
        or _subject(facts)
        or _list_mail(facts)
        or _body(facts)
        or _bulk(facts)
        or _HUMAN
    )


# Every header a rule below reads; "sender" only matters with a list header beside it.
_RULE_HEADERS = frozenset(
    name.encode()
    for name in (
        *_CHALLENGE_HEADERS, *tables.AUTO_HEADER_VALUES, "x-delivery-agent", "auto-submitted",
        "x-failed-recipients", "precedence", "x-precedence", "x-auto-response-suppress",
        *_LIST_HEADERS, *_BULK_HEADERS,
    )
)  # fmt: skip
# Any of these anywhere in the subject sends the message through every rule.
_RULE_SUBJECT_WORDS = re.compile(
    "|".join(
        re.escape(word)
        for word in (
            *bounces.BOUNCE_SUBJECT_PHRASES, *(p for p, _ in bounces.GATEWAY_SUBJECTS),
            *tables.LOTUS_SUBJECT_PHRASES, *tables.AUTO_SUBJECT_SUFFIXES, *_SUBJECT_HINTS,
            "complaint about message from",
        )
    )
)  # fmt: skip


def _plainly_human(facts: _Facts) -> bool:
    """True when no rule below could decide: a threaded message from an ordinary sender
    with none of the headers, subject words or structure the rules look for. Most
    replies stop here, without running every rule (a test checks the two agree)."""
    block = facts.block
    if (
        not facts.names.isdisjoint(_RULE_HEADERS)
        or b"multipart/report" in block
        or b"<>" in block
        or not facts.threaded
    ):
        return False
    local, domain = facts.sender
    if (
        facts.daemon
        or _no_reply(local)
        or local in bounces.GATEWAY_LOCALPARTS
        or _challenge_domain(domain)
    ):
        return False
    subject = facts.subject
    if _RULE_SUBJECT_WORDS.search(subject) or subject in tables.AUTO_SUBJECT_EXACT:
        return False
    head = facts.head
    return head not in tables.AUTO_SUBJECT_PREFIXES and head not in bounces.BOUNCE_SUBJECT_PREFIXES


_T = TypeVar("_T")


class _lazy(Generic[_T]):
    """A per-instance cached attribute without functools.cached_property's lock."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__

    @overload
    def __get__(self, instance: None, owner: type) -> _lazy[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> _T: ...
    def __get__(self, instance: object | None, owner: type) -> _lazy[_T] | _T:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


class _Facts:
    """Lazily computed views of one message shared by the rules."""

    def __init__(self, msg: RawMessage) -> None:
        self.msg = msg

    @property
    def block(self) -> bytes:
        """The header block lower-cased, after a newline: substring tests skip lookups."""
        return self.msg.lower_header_block

    @property
    def names(self) -> AbstractSet[bytes]:
        """The lower-case field names present."""
        return self.msg.field_names

    def lower(self, name: str) -> str:
        """The first value of ``name`` stripped and lower-cased; '' when absent."""
        if name.encode("ascii") not in self.names:
            return ""
        return (self.msg.get(name) or "").strip().lower()

    @_lazy
    def sender(self) -> tuple[str, str]:
        """(local part, domain) of From, lower-case; ('', '') when missing or empty.

        A cheap reading of the address (angle brackets, else the word with an "@"):
        the rules need only its parts, and ``email.utils.parseaddr`` costs more than
        all of them together.
        """
        value = self.msg.get("from") or ""
        if "<" in value:
            value = value.rpartition("<")[2].partition(">")[0]
        else:
            value = next((w for w in value.split() if "@" in w), "")
        local, _, domain = value.strip().strip('"').lower().rpartition("@")
        return local, domain.rstrip(">)")

    @_lazy
    def daemon(self) -> bool:
        """From is an MTA: MAILER-DAEMON, postmaster, Exchange's system mailbox
        (``MicrosoftExchange329e...@``), or missing/empty (Sendmail, RFC 3464)."""
        local = self.sender[0]
        return (
            local in tables.DAEMON_LOCALPARTS or local.startswith("microsoftexchange") or not local
        )

    @_lazy
    def null_return_path(self) -> bool:
        """``Return-Path: <>``: the null reverse path of reports and auto-replies."""
        return b"<>" in self.block and self.lower("return-path") == "<>"

    @_lazy
    def subject(self) -> str:
        """The decoded, folded subject; a huge one is cut first (the rules read no further)."""
        value = (self.msg.get("subject") or "")[:_SUBJECT_LIMIT]
        value = decode_words(value, self.msg.limits.encoded_words)
        return tables.fold_subject(" ".join(value.split()))

    @_lazy
    def bounce_phrase(self) -> bool:
        """The subject names a delivery failure somewhere (not only as a prefix)."""
        subject = self.subject
        return "?" not in subject and any(p in subject for p in bounces.BOUNCE_SUBJECT_PHRASES)

    @_lazy
    def head(self) -> str:
        """The subject's text before its first colon (or inside a leading [...])."""
        subject = self.subject
        if subject.startswith("["):
            return subject[1:].partition("]")[0].strip()
        return subject.partition(":")[0].strip()

    @_lazy
    def reply_prefixed(self) -> bool:
        return self.head in tables.REPLY_PREFIXES

    @_lazy
    def threaded(self) -> bool:
        names = self.names
        return b"in-reply-to" in names or b"references" in names or self.reply_prefixed

    @_lazy
    def relayed(self) -> bool:
        """Relayed by a discussion list (Mailman/Majordomo/Google Groups conventions)."""
        if not self.names.isdisjoint(_LIST_KEYS):
            return True
        local = self.lower("sender").partition("@")[0].rsplit("<", 1)[-1]
        return local.endswith(("-bounces", "-owner", "-request")) or local.startswith("owner-")

    @_lazy
    def parsed_text(self) -> str:
        return self.msg.body_text()


def _verdict(
    kind: MessageKind, *reasons: str, subtype: str | None = None, back: date | None = None
) -> Verdict:
    # Stores keep plain strings: a database driver may dump an Enum by its name.
    plain = subtype.value if isinstance(subtype, Subtype) else subtype
    return Verdict(kind=kind, reasons=reasons, subtype=plain, return_date=back)


def _challenge_domain(domain: str) -> bool:
    return domain in _CHALLENGE_DOMAINS or domain.endswith(_CHALLENGE_SUBDOMAINS)


_no_reply = tables.is_no_reply


def _challenge(facts: _Facts) -> Verdict | None:
    for name in _CHALLENGE_HEADERS:
        if name.encode() in facts.names:
            return _verdict(
                MessageKind.AUTO_REPLY, f"header:{name}", subtype=Subtype.CHALLENGE_RESPONSE
            )
    if facts.lower("x-delivery-agent").startswith("tmda"):
        return _verdict(
            MessageKind.AUTO_REPLY,
            "header:x-delivery-agent=tmda",
            subtype=Subtype.CHALLENGE_RESPONSE,
        )
    if _challenge_domain(facts.sender[1]):
        return _verdict(
            MessageKind.AUTO_REPLY, "sender:challenge-response", subtype=Subtype.CHALLENGE_RESPONSE
        )
    return None


def _structure(facts: _Facts) -> Verdict | None:
    if facts.subject.startswith("complaint about message from"):  # Microsoft JMRP
        return _verdict(MessageKind.BULK, "subject:jmrp-complaint", subtype=Subtype.COMPLAINT)
    if b"multipart/report" not in facts.block and not _bounce_suspect(facts):
        return None
    ctype = facts.lower("content-type")
    if not ctype.startswith("multipart/"):
        return None
    report = ctype.startswith("multipart/report")
    found = read_report(facts.msg, top_level=report)
    if found is None:
        return None
    kind, reasons, subtype = found
    return _verdict(kind, *reasons, subtype=subtype)


def _bounce_suspect(facts: _Facts) -> bool:
    names = facts.names
    return (
        b"x-failed-recipients" in names
        or b"auto-submitted" in names
        or facts.bounce_phrase
        or facts.daemon
    )


def _bounce(facts: _Facts) -> Verdict | None:
    reasons: list[str] = []
    if b"x-failed-recipients" in facts.names:
        reasons.append("header:x-failed-recipients")
    lang = None if facts.reply_prefixed else bounces.BOUNCE_SUBJECT_PREFIXES.get(facts.head)
    if lang is not None:
        reasons.append(f"subject:bounce:{lang}")
    if not reasons and facts.daemon and b"auto-submitted" in facts.names:
        # RFC 3834 section 5: delivery reports carry Auto-Submitted; from an MTA sender
        # (no From, MAILER-DAEMON, postmaster) it is one, whatever the text says.
        reasons += ["sender:mailer-daemon", "header:auto-submitted"]
    if not reasons:
        gateway = bounce_text.gateway(facts)
        if gateway is not None:
            return _verdict(MessageKind.BOUNCE, *gateway[0], subtype=gateway[1])
        reasons = bounce_text.text_reasons(facts)
        if not reasons:
            return None
    return _verdict(MessageKind.BOUNCE, *reasons, subtype=bounce_text.subtype(facts))


def _auto_headers(facts: _Facts) -> Verdict | None:
    # RFC 3834: the keyword, then optional parameters and comments.
    submitted = facts.lower("auto-submitted").partition(";")[0].partition("(")[0].strip()
    if submitted and submitted != "no":
        code = f"header:auto-submitted={submitted}"
        subject_code = _subject_auto(facts)
        if subject_code:
            return _auto_reply(facts, code, subject_code)
        if submitted == "auto-replied" or facts.threaded:
            return _auto_reply(facts, code)
        return _verdict(MessageKind.BULK, code, subtype=Subtype.NOTIFICATION)
    for key, name, accepted in _AUTO_HEADERS:
        if key in facts.names:
            value = facts.lower(name)
            if (value not in _FALSE) if accepted is None else (value in accepted):
                return _auto_reply(facts, f"header:{name}")
    for name in ("precedence", "x-precedence"):
        if facts.lower(name) == "auto_reply":
            return _auto_reply(facts, f"header:{name}=auto_reply")
    return None


def _subject_auto(facts: _Facts) -> str | None:
    """The rule code of the subject's auto-reply form, or None."""
    subject = facts.subject
    lang = tables.AUTO_SUBJECT_EXACT.get(subject)
    if lang is None and not facts.reply_prefixed:
        if subject.startswith("[") or ":" in subject:  # a prefix, not a one-word subject
            lang = tables.AUTO_SUBJECT_PREFIXES.get(facts.head)
        if lang is None:
            lang = next((v for k, v in tables.LOTUS_SUBJECT_PHRASES.items() if k in subject), None)
    if lang is None and subject.endswith(")"):
        lang = next(
            (v for k, v in tables.AUTO_SUBJECT_SUFFIXES.items() if subject.endswith(k)), None
        )
    return None if lang is None else f"subject:auto-reply:{lang}"


def _subject(facts: _Facts) -> Verdict | None:
    code = _subject_auto(facts)
    return _auto_reply(facts, code) if code else None


def _auto_reply(facts: _Facts, *reasons: str) -> Verdict:
    """An AUTO_REPLY verdict; its body (small, rare) gives the subtype and return date."""
    text = new_text(facts.parsed_text)
    _score, subtype = body.auto_score(text)
    back = body.return_date(text, lambda: facts.msg.date)
    if subtype is None and (back is not None or "office" in facts.subject):
        subtype = Subtype.OUT_OF_OFFICE
    return _verdict(MessageKind.AUTO_REPLY, *reasons, subtype=subtype, back=back)


def _hints(facts: _Facts) -> list[str]:
    """Header and subject hints that justify reading the body and strengthen its phrases."""
    hints = []
    if b"<>" in facts.block and facts.lower("return-path") == "<>":
        hints.append("header:return-path=<>")
    if b"x-auto-response-suppress" in facts.names:
        hints.append("header:x-auto-response-suppress")
    if not facts.relayed and facts.lower("precedence") in _BULK_PRECEDENCE:
        hints.append("header:precedence=" + facts.lower("precedence"))
    subject = facts.subject
    # A question is a person's subject: "Out of office next week - can we talk on Friday?"
    if (
        not facts.reply_prefixed
        and "?" not in subject
        and any(w in subject for w in _SUBJECT_HINTS)
    ):
        hints.append("subject:auto-hint")
    return hints


def _body(facts: _Facts) -> Verdict | None:
    """Body phrases: weak evidence, scored as docs/autoreply.md explains."""
    hints = _hints(facts)
    if not hints and facts.threaded:
        return None
    full = facts.parsed_text
    text = new_text(full)
    score, subtype = body.auto_score(text)
    if score == 0:
        return None
    human_looking = len(text) < len(full.strip()) - 40 or len(text.split()) > 150
    # Phrases plus hints must reach 3, and a text that looks like a personal reply needs a
    # hint and 3 from the phrases alone. See docs/autoreply.md, "Body phrases".
    needed = 3 if human_looking else max(1, 3 - len(hints))
    if score < needed or (human_looking and not hints):
        return None
    back = body.return_date(text, lambda: facts.msg.date)
    return _verdict(
        MessageKind.AUTO_REPLY, *hints, f"body:{subtype or 'auto'}", subtype=subtype, back=back
    )


def _list_mail(facts: _Facts) -> Verdict | None:
    """Mail a list or bulk sender wrote itself, decided before the body (digests quote the
    members' posts, newsletters are large HTML). Never a threaded message; the list's own
    signs (its robot sender, a digest, an announce-only list) count even on mail it
    relays, the others only when it relays no one.
    """
    if facts.threaded:
        return None
    if lists.list_server(facts.sender[0]):
        return _verdict(MessageKind.BULK, "sender:list-server", subtype=Subtype.LIST)
    if facts.lower("content-type").startswith("multipart/digest"):
        return _verdict(MessageKind.BULK, "structure:digest", subtype=Subtype.LIST)
    if lists.digest(facts):
        return _verdict(MessageKind.BULK, "subject:digest", subtype=Subtype.LIST)
    if facts.lower("list-post").startswith("no"):  # RFC 2369: posting not allowed
        return _verdict(MessageKind.BULK, "header:list-post=no", subtype=Subtype.LIST)
    if facts.relayed:
        return None
    if lists.verp(facts):
        return _verdict(MessageKind.BULK, "header:return-path=verp", subtype=Subtype.LIST)
    if b"list-unsubscribe" in facts.names:
        return _bulk(facts)
    return None


def _bulk(facts: _Facts) -> Verdict | None:
    if _no_reply(facts.sender[0]):
        return _verdict(MessageKind.BULK, "sender:no-reply", subtype=Subtype.NOTIFICATION)
    precedence = facts.lower("precedence")
    if facts.relayed or (facts.threaded and precedence != "junk"):
        return None
    reasons = [f"header:{n}" for n in _BULK_HEADERS if n.encode() in facts.names]
    if precedence in _BULK_PRECEDENCE:
        reasons.append(f"header:precedence={precedence}")
    if reasons:
        return _verdict(MessageKind.BULK, *reasons, subtype=Subtype.LIST)
    found = None if facts.threaded else lists.system_mailing(facts)
    return None if found is None else _verdict(MessageKind.BULK, *found, subtype=Subtype.LIST)
