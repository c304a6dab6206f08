"""The correlation set: one CRM account, its inboxes and sends, and what each inbound message is.

The messages in ``messages/`` are templates modelled on what each client sends
(header order, MIME structure, attribution lines, localised prefixes). Our
Message-IDs are generated per run, so the templates name them by send:

* ``{{token:EMAIL.CONTACT}}``: the Message-ID (signed token) of that send;
* ``{{forged:EMAIL.CONTACT}}``: that token with its MAC replaced;
* ``{{spliced:EMAIL.A:EMAIL.B}}``: send A's id carrying send B's MAC.

Provider Message-IDs (the ESP rewrites) are fixed strings, recorded below and
written verbatim in the messages. Each case builds a fresh world with
:func:`build_world`, ingests any earlier messages it names, then its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from replytrack import (
    Contact,
    Inbox,
    IngestResult,
    MarketingEmail,
    MatchStrategy,
    MemoryStore,
    Outcome,
    ReplyTo,
    Send,
    Tracker,
)
from replytrack.message import RawMessage

MESSAGES = Path(__file__).resolve().parent / "messages"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
CONNECTED = datetime(2025, 11, 1, 8, 0, tzinfo=UTC)
SECRET = b"correlation set: installation secret, 32+ bytes"
OLD_SECRET = b"correlation set: the secret before the rotation!"
DOMAIN = "mail.example.com"


def at(day: str, hour: int = 9) -> datetime:
    """A UTC time on ``day`` (YYYY-MM-DD) at ``hour``."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


CONTACTS: dict[str, tuple[str, ...]] = {
    "alice": ("alice@northwind.test", "alice.k@gmail.com"),
    "bob": ("bob@contoso.test",),
    "carla": ("carla.rossi@fabrikam.test",),
    "dieter": ("dieter.huber@beispiel.de",),
    "elin": ("elin.lund@exempel.se",),
    "pekka": ("pekka.virtanen@esimerkki.fi",),
    "ingrid": ("ingrid.hansen@eksempel.no",),
    "mette": ("mette.jensen@eksempel.dk",),
    "marco": ("marco.bianchi@esempio.it",),
    "zofia": ("zofia.nowak@przyklad.pl",),
    "jan": ("jan.devries@voorbeeld.nl",),
    "sophie": ("sophie.martin@exemple.fr",),
    "lucia": ("lucia.garcia@ejemplo.es",),
    "joao": ("joao.silva@exemplo.com.br",),
    "ayse": ("ayse.yilmaz@ornek.com.tr",),
    "ivan": ("ivan.petrov@primer.ru",),
    "olena": ("olena.shevchenko@pryklad.ua",),
    "wei": ("wang.wei@lizi.cn",),
    "mei": ("chen.mei@fanli.com.tw",),
    "yuki": ("yuki.tanaka@rei.co.jp",),
    "minji": ("minji.kim@yesi.co.kr",),
    "nikos": ("nikos.papadopoulos@paradeigma.gr",),
    "zsofia": ("zsofia.nagy@pelda.hu",),
    "liga": ("liga.ozola@piemers.lv",),
    "ana": ("ana.horvat@primjer.hr",),
    "petr": ("petr.novak@priklad.cz",),
}
OWNED_BY_ANNA = {"hugo": ("hugo@lumen.test",)}

SALES = ReplyTo.inbox("sales@example.com")
SALES_FROM = "Northwind Sales <sales@example.com>"
EMAILS = {
    "autumn": MarketingEmail(
        id="autumn", subject="Autumn roadmap preview", from_address=SALES_FROM, reply_to=SALES
    ),
    "digest_feb": MarketingEmail(
        id="digest_feb", subject="Monthly product digest", from_address=SALES_FROM, reply_to=SALES
    ),
    "winter": MarketingEmail(
        id="winter",
        subject="Winter clearance: 20% off annual plans",
        from_address=SALES_FROM,
        reply_to=SALES,
    ),
    "spring": MarketingEmail(
        id="spring",
        subject="Spring webinar: pipeline reviews that work",
        from_address="Northwind Marketing <marketing@example.com>",
        reply_to=SALES,
    ),
    "pricing": MarketingEmail(
        id="pricing",
        subject="New pricing for 2026",
        from_address="Northwind Support <support@example.com>",
        reply_to=ReplyTo.inbox("support@example.com"),
    ),
    "events": MarketingEmail(
        id="events",
        subject="Your invitation: Customer Day Berlin",
        from_address="Northwind Events <events@example.com>",
        reply_to=ReplyTo.inbox("events@example.com"),
    ),
    "einladung": MarketingEmail(
        id="einladung",
        subject="Einladung: Produktvorstellung im April",
        from_address=SALES_FROM,
        reply_to=SALES,
    ),
    "onboarding": MarketingEmail(
        id="onboarding",
        subject="Quick question about your onboarding",
        from_address="Anna Berg <anna.berg@example.com>",
        reply_to=ReplyTo.contact_owner(),
    ),
    "summit": MarketingEmail(  # Reply-To an alias: the rules make such sends untracked
        id="summit",
        subject="Last seats for the partner summit",
        from_address="Northwind <info@example.com>",
        reply_to=ReplyTo.inbox("info@example.com"),
    ),
    "newsletter": MarketingEmail(  # Reply-To the From address, which is no connected inbox
        id="newsletter",
        subject="March newsletter",
        from_address="Northwind Marketing <marketing@example.com>",
        reply_to=ReplyTo.from_address(),
    ),
    "digest_mar": MarketingEmail(
        id="digest_mar", subject="Monthly product digest", from_address=SALES_FROM, reply_to=SALES
    ),
}

# (email, contacts, sent at, signed with the secret before the rotation)
SENDS: tuple[tuple[str, tuple[str, ...], datetime, bool], ...] = (
    ("autumn", ("alice",), at("2026-01-10"), False),
    ("digest_feb", ("carla", "alice"), at("2026-02-16"), False),
    ("winter", ("alice",), at("2026-02-20"), True),
    ("spring", tuple(CONTACTS), at("2026-03-02"), False),
    ("pricing", ("alice", "bob", "carla"), at("2026-03-03", 8), False),
    ("events", ("dieter", "elin"), at("2026-03-04", 8), False),
    ("einladung", ("dieter",), at("2026-03-05", 8), False),
    ("onboarding", ("hugo",), at("2026-03-06", 8), False),
    ("summit", ("bob",), at("2026-03-06", 10), False),
    ("newsletter", ("alice",), at("2026-03-07", 8), False),
    ("digest_mar", ("carla", "alice"), at("2026-03-16"), False),
)
# the Message-ID each email service provider really used, as the integrator recorded it
PROVIDER_IDS = {
    "pricing.alice": "<0100018e0a1b2c3d-5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f-000000@email.amazonses.com>",
    "pricing.bob": "<0100018e0b2c3d4e-6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d-000000@email.amazonses.com>",
    "pricing.carla": "<Xq3vT7kYQ2aR9m0LwP5nJg@geopod-ismtpd-3-0.sendgrid.net>",
    "digest_mar.carla": "<20260316090000.1.A1B2C3D4E5F60718@mg.example.com>",
}
EVENTS_DISCONNECTED = at("2026-03-04", 18)  # the OAuth grant expired
EVENTS_RECONNECTED = at("2026-03-12", 8)


class DictResolver:
    """The integrator's contact resolver: address -> contact id, from a mapping."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = {k.lower(): v for k, v in mapping.items()}

    def resolve(self, address: str) -> str | None:
        return self.mapping.get(address.strip().lower())


@dataclass
class World:
    """A tracker over a MemoryStore with every inbox, email and send of the scenario."""

    tracker: Tracker
    sends: dict[str, Send]
    names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.names = {send.id: name for name, send in self.sends.items()}

    def render(self, file: str) -> bytes:
        """The message file with its placeholders filled for this world's sends."""
        text = (MESSAGES / file).read_bytes().decode("utf-8")
        return _PLACEHOLDER.sub(lambda m: self._fill(m.group(1), m.group(2)), text).encode()

    def _fill(self, kind: str, arg: str) -> str:
        if kind == "token":
            return self.sends[arg].message_id
        if kind == "forged":
            token = self.sends[arg].message_id
            local, _, domain = token.strip("<>").partition("@")
            head, _, mac = local.rpartition(".")
            forged = "".join("a" if c != "a" else "b" for c in mac)
            return f"<{head}.{forged}@{domain}>"
        if kind == "spliced":
            id_from, mac_from = arg.split(":")
            head = self.sends[id_from].message_id.strip("<>").partition("@")[0].rpartition(".")[0]
            mac, _, domain = (
                self.sends[mac_from].message_id.strip("<>").rpartition(".")[2].partition("@")
            )
            return f"<{head}.{mac}@{domain}>"
        raise ValueError(f"unknown placeholder kind {kind!r}")

    def ingest(self, file: str, inbox: str | None, received: datetime | None) -> IngestResult:
        raw = self.render(file)
        return self.tracker.ingest(inbox, raw, received_at=received or received_time(raw))


_PLACEHOLDER = re.compile(r"\{\{(token|forged|spliced):([a-z0-9_.:]+)\}\}")


def received_time(raw: bytes) -> datetime:
    """When the message reached the inbox: two minutes after its Date header."""
    date = RawMessage(raw).date
    assert date is not None, "a message without a Date needs an explicit received time"
    return date + timedelta(minutes=2)


def build_world(resolver: Mapping[str, str] | None = None, *, fallback: bool = True) -> World:
    """Build the scenario from scratch: a fresh store, tracker, inboxes, contacts and sends."""
    store = MemoryStore()
    tracker = Tracker(
        store,
        secret=SECRET,
        domain=DOMAIN,
        tenant="northwind",
        clock=lambda: NOW,
        fallback=fallback,
        fallback_window=timedelta(days=30),
        contact_resolver=DictResolver(resolver or {}),
    )
    for inbox in (
        Inbox(id="sales", address="sales@example.com", kind="team", aliases=("info@example.com",)),
        Inbox(id="support", address="support@example.com", kind="team"),
        Inbox(id="events", address="events@example.com", kind="team"),
        Inbox(id="anna", address="anna.berg@example.com", kind="personal", owner_id="u_anna"),
    ):
        tracker.connect_inbox(inbox, connected_at=CONNECTED)

    contacts = {cid: Contact(id=cid, emails=emails) for cid, emails in CONTACTS.items()}
    contacts |= {
        cid: Contact(id=cid, emails=emails, owner_id="u_anna")
        for cid, emails in OWNED_BY_ANNA.items()
    }
    before_rotation = Tracker(store, secret=OLD_SECRET, domain=DOMAIN, tenant="northwind")
    sends: dict[str, Send] = {}
    for email_id, who, sent_at, old_secret in SENDS:
        sender = before_rotation if old_secret else tracker
        recorded = sender.record_sends(EMAILS[email_id], [contacts[c] for c in who], sent_at)
        sends |= {f"{email_id}.{c}": s for c, s in zip(who, recorded, strict=True)}
    tracker.disconnect_inbox("events", EVENTS_DISCONNECTED)
    tracker.connect_inbox(
        Inbox(id="events", address="events@example.com", kind="team"),
        connected_at=EVENTS_RECONNECTED,
    )
    for name, provider_id in PROVIDER_IDS.items():
        sends[name] = tracker.record_provider_message_id(sends[name].id, provider_id)

    acme = Tracker(store, secret=SECRET, domain=DOMAIN, tenant="acme", clock=lambda: NOW)
    acme.connect_inbox(Inbox(id="sales", address="sales@acme.test"), connected_at=CONNECTED)
    partner = MarketingEmail(
        id="partner",
        subject="Acme partner update",
        from_address="sales@acme.test",
        reply_to=ReplyTo.inbox("sales@acme.test"),
    )
    zed = Contact(id="zed", emails=("zed@acme-customer.test",))
    sends["acme.partner.zed"] = acme.record_send(partner, zed, at("2026-03-02"))
    return World(tracker=tracker, sends=sends)


# -- the expected result of each message ---------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One inbound message and what ingesting it must give.

    ``send`` is the symbolic send the match must name (None: no match at all);
    with ``send_optional`` (forwards) a match may be absent, but when present it
    must be to ``send``. ``strategy`` None leaves the strategy unchecked.
    ``candidates`` (when set) are the other sends the match must list.
    ``inbox`` None ingests without an inbox id (resolved from Delivered-To,
    X-Original-To or To). ``before`` lists (file, inbox) ingested first.
    """

    file: str
    client: str
    outcome: Outcome
    send: str | None = None
    strategy: MatchStrategy | None = None
    inbox: str | None = "sales"
    received: datetime | None = None
    before: tuple[tuple[str, str], ...] = ()
    resolver: Mapping[str, str] = field(default_factory=dict)
    alternate: str | None = None
    send_optional: bool = False
    candidates: tuple[str, ...] | None = None
    fallback: bool = True
    why: str = ""


R, F, A = Outcome.REPLY, Outcome.FORWARD, Outcome.AUTOMATIC
TOKEN, MSGID, FALLBACK = MatchStrategy.TOKEN, MatchStrategy.MESSAGE_ID, MatchStrategy.FALLBACK


def _reply(file: str, client: str, send: str, strategy: MatchStrategy, **kw: object) -> Case:
    return Case(file, client, R, send, strategy, **kw)  # type: ignore[arg-type]


def _fallback(file: str, client: str, contact: str, why: str) -> Case:
    return Case(file, client, R, f"spring.{contact}", FALLBACK, why=why)


def _forward(file: str, client: str, send: str, why: str, inbox: str = "sales") -> Case:
    return Case(file, client, F, send, None, inbox=inbox, send_optional=True, why=why)


CASES: tuple[Case, ...] = (
    # -- header matches, by client -------------------------------------------------------------
    _reply("gmail_web_reply.eml", "gmail web", "spring.alice", TOKEN),
    _reply(
        "gmail_web_reply_second_address.eml",
        "gmail web",
        "spring.alice",
        TOKEN,
        why="the contact's second address is one of hers",
    ),
    _reply("gmail_web_reply_html_only.eml", "gmail web", "spring.lucia", TOKEN),
    _reply("gmail_android_reply.eml", "gmail android", "spring.bob", TOKEN),
    _reply("gmail_android_reply_de.eml", "gmail android", "einladung.dieter", TOKEN),
    _reply(
        "gmail_reply_to_salesperson_followup.eml",
        "gmail web",
        "spring.carla",
        TOKEN,
        why="In-Reply-To names our salesperson's reply; References still holds the token",
    ),
    _reply("outlook_desktop_reply.eml", "outlook desktop", "spring.carla", TOKEN),
    _reply("outlook_desktop_winmail_de.eml", "outlook desktop", "spring.dieter", TOKEN),
    _reply("outlook_desktop_reply_fr.eml", "outlook desktop", "spring.sophie", TOKEN),
    _reply("outlook_desktop_reply_it.eml", "outlook desktop", "spring.marco", TOKEN),
    _reply(
        "outlook_desktop_reply_fi_vs.eml",
        "outlook desktop",
        "spring.pekka",
        TOKEN,
        why="VS is a Finnish reply and a Norwegian forward: alone it decides nothing",
    ),
    _reply(
        "outlook_desktop_esp_rewrite_ses.eml",
        "outlook desktop",
        "pricing.alice",
        MSGID,
        inbox="support",
        why="Amazon SES rewrote our Message-ID; the integrator recorded its id",
    ),
    _reply(
        "outlook_desktop_secret_rotated.eml",
        "outlook desktop",
        "winter.alice",
        MSGID,
        why="signed with the secret before a rotation: no longer verifies, still in the store",
    ),
    _reply("outlook_web_reply.eml", "outlook web", "spring.bob", TOKEN),
    _reply("outlook_web_reply_sv.eml", "outlook web", "spring.elin", TOKEN),
    _reply(
        "outlook_web_esp_rewrite_sendgrid.eml",
        "outlook web",
        "pricing.carla",
        MSGID,
        inbox="support",
        why="SendGrid rewrote our Message-ID",
    ),
    _reply("apple_mail_reply.eml", "apple mail", "spring.sophie", TOKEN),
    _reply("apple_mail_reply_sv.eml", "apple mail", "spring.elin", TOKEN),
    _reply("ios_mail_reply.eml", "ios mail", "spring.bob", TOKEN),
    _reply("ios_mail_reply_de.eml", "ios mail", "einladung.dieter", TOKEN),
    _reply(
        "ios_mail_reply_owner_inbox.eml",
        "ios mail",
        "onboarding.hugo",
        TOKEN,
        inbox="anna",
        why="Reply-To was the contact owner's personal inbox",
    ),
    _reply("thunderbird_reply.eml", "thunderbird", "spring.jan", TOKEN),
    _reply("thunderbird_reply_cs.eml", "thunderbird", "spring.petr", TOKEN),
    _reply(
        "thunderbird_reply_120_references.eml",
        "thunderbird",
        "spring.ivan",
        TOKEN,
        why="our token is the oldest of 120 References",
    ),
    _reply(
        "thunderbird_reply_120_references_provider_id.eml",
        "thunderbird",
        "pricing.bob",
        MSGID,
        inbox="support",
        why="the provider id sits in the middle of 120 References: every id is looked up",
    ),
    _reply(
        "thunderbird_reply_re_over_fwd.eml",
        "thunderbird",
        "spring.ana",
        TOKEN,
        why="'Re: Fwd:': the outermost prefix is a reply",
    ),
    _reply("yahoo_reply.eml", "yahoo", "spring.zofia", TOKEN),
    _reply(
        "yahoo_android_references_only.eml",
        "yahoo android",
        "spring.mette",
        TOKEN,
        why="no In-Reply-To, the token only in References",
    ),
    _reply(
        "yahoo_esp_rewrite_mailgun.eml",
        "yahoo",
        "digest_mar.carla",
        MSGID,
        why="Mailgun rewrote our Message-ID",
    ),
    _reply("lotus_notes_reply_de.eml", "lotus notes", "einladung.dieter", TOKEN),
    # -- automatic mail ------------------------------------------------------------------------
    Case(
        "outlook_desktop_out_of_office.eml",
        "exchange",
        A,
        "spring.carla",
        TOKEN,
        why="Auto-Submitted: auto-generated",
    ),
    Case(
        "gmail_vacation_auto_reply.eml",
        "gmail",
        A,
        "spring.zofia",
        TOKEN,
        why="Gmail's vacation responder: Auto-Submitted: auto-replied",
    ),
    # -- forwards --------------------------------------------------------------------------------
    _forward("gmail_forward.eml", "gmail web", "spring.alice", "Fwd: and Gmail's body marker"),
    _forward(
        "gmail_forward_body_marker_only_de.eml",
        "gmail web",
        "einladung.dieter",
        "no prefix; the German Gmail marker alone",
    ),
    _forward("outlook_desktop_forward_fw.eml", "outlook desktop", "spring.carla", "FW:"),
    _forward("outlook_desktop_forward_de_wg.eml", "outlook desktop", "spring.dieter", "WG:"),
    _forward("outlook_desktop_forward_fr_tr.eml", "outlook desktop", "spring.sophie", "TR :"),
    _forward("outlook_desktop_forward_es_rv.eml", "outlook desktop", "spring.lucia", "RV:"),
    _forward("outlook_desktop_forward_pl_pd.eml", "outlook desktop", "spring.zofia", "PD:"),
    _forward("outlook_desktop_forward_nl_doorst.eml", "outlook desktop", "spring.jan", "Doorst:"),
    _forward("outlook_desktop_forward_it_i.eml", "outlook desktop", "spring.marco", "I:"),
    _forward("outlook_desktop_forward_tr_ilt.eml", "outlook desktop", "spring.ayse", "İLT:"),
    _forward(
        "outlook_desktop_forward_no_vs.eml",
        "outlook desktop",
        "spring.ingrid",
        "VS: (ambiguous) settled by Outlook's header block opening the body",
    ),
    _forward("outlook_web_forward_pt_enc.eml", "outlook web", "spring.joao", "ENC:"),
    _forward("apple_mail_forward.eml", "apple mail", "spring.sophie", "Fwd:, no threading headers"),
    _forward(
        "ios_mail_forward_no_threading.eml",
        "ios mail",
        "spring.bob",
        "Fwd: with no threading headers: a forward, not a fallback reply",
    ),
    _forward("thunderbird_forward.eml", "thunderbird", "spring.petr", "Fwd: and the Czech marker"),
    _forward("yahoo_forward.eml", "yahoo", "spring.zofia", "Fwd: and Yahoo's marker"),
    # -- reply-all, duplicates -------------------------------------------------------------------
    _reply(
        "outlook_desktop_reply_all_sales_copy.eml",
        "outlook desktop",
        "spring.jan",
        TOKEN,
        why="the first copy of a reply-all to two connected inboxes",
    ),
    Case(
        "outlook_desktop_reply_all_support_copy.eml",
        "outlook desktop",
        Outcome.DUPLICATE,
        "spring.jan",
        TOKEN,
        inbox="support",
        before=(("outlook_desktop_reply_all_sales_copy.eml", "sales"),),
        why="the second copy, same Message-ID, reached the support inbox",
    ),
    Case(
        "gmail_imap_resync_duplicate.eml",
        "gmail web",
        Outcome.DUPLICATE,
        "spring.zsofia",
        TOKEN,
        before=(("gmail_imap_resync_duplicate.eml", "sales"),),
        why="the same message read twice from one inbox",
    ),
    # -- who may reply ---------------------------------------------------------------------------
    Case(
        "outlook_desktop_colleague_reply.eml",
        "outlook desktop",
        Outcome.WRONG_SENDER,
        "spring.alice",
        TOKEN,
        why="a colleague answered for the contact; the resolver does not know him",
    ),
    _reply(
        "outlook_desktop_colleague_reply_resolved.eml",
        "outlook desktop",
        "spring.alice",
        TOKEN,
        resolver={"tom.baker@northwind.test": "alice"},
        alternate="tom.baker@northwind.test",
        why="the integrator's resolver maps the colleague's address to the contact",
    ),
    Case(
        "gmail_stranger_quoting_token.eml",
        "gmail web",
        Outcome.WRONG_SENDER,
        "spring.alice",
        TOKEN,
        why="a stranger replied to a forward of another contact's mail",
    ),
    Case(
        "gmail_forged_token.eml",
        "gmail web",
        Outcome.NOT_A_REPLY,
        why="a token with a forged MAC never matches",
    ),
    Case(
        "gmail_spliced_token.eml",
        "gmail web",
        Outcome.NOT_A_REPLY,
        why="one send's id with another send's MAC never matches",
    ),
    Case(
        "thunderbird_other_tenant_token.eml",
        "thunderbird",
        Outcome.NOT_A_REPLY,
        why="a valid token of another tenant never matches",
    ),
    # -- tracking periods and untracked sends --------------------------------------------------
    Case(
        "thunderbird_before_inbox_reconnected.eml",
        "thunderbird",
        Outcome.BEFORE_TRACKING,
        "events.dieter",
        TOKEN,
        inbox="events",
        why="received while the events inbox was disconnected, before it was connected again",
    ),
    _reply(
        "thunderbird_after_inbox_reconnected.eml",
        "thunderbird",
        "events.elin",
        TOKEN,
        inbox="events",
    ),
    Case(
        "outlook_web_alias_promo_untracked.eml",
        "outlook web",
        Outcome.UNTRACKED,
        "summit.bob",
        TOKEN,
        why="the send's Reply-To was the alias info@, not the inbox: untracked",
    ),
    Case(
        "thunderbird_newsletter_untracked.eml",
        "thunderbird",
        Outcome.UNTRACKED,
        "newsletter.alice",
        TOKEN,
        why="Reply-To was the unconnected From address; the contact copied sales@",
    ),
    # -- inbox routing ---------------------------------------------------------------------------
    _reply(
        "gmail_delivered_to_routing.eml",
        "gmail web",
        "spring.pekka",
        TOKEN,
        inbox=None,
        why="inbox resolved from Delivered-To",
    ),
    _reply(
        "gmail_forwarding_rule_routing.eml",
        "gmail web",
        "pricing.bob",
        TOKEN,
        inbox=None,
        why="a forwarding rule: the top Delivered-To is the collector, the next is support@",
    ),
    _reply(
        "outlook_web_alias_reply.eml",
        "outlook web",
        "spring.marco",
        TOKEN,
        inbox=None,
        why="reached sales through its alias info@ (X-Original-To); Reply-To was sales itself",
    ),
    Case(
        "gmail_unknown_inbox.eml",
        "gmail web",
        Outcome.UNKNOWN_INBOX,
        inbox=None,
        why="addressed to press@, which is no connected inbox or alias",
    ),
    # -- fallback: subject only ------------------------------------------------------------------
    _fallback(
        "exchange_stripped_threading_it.eml", "exchange", "marco", "R: and Thread-Topic, no ids"
    ),
    _fallback(
        "exchange_stripped_threading_edited_subject.eml",
        "exchange",
        "jan",
        "the subject was rewritten; Thread-Topic still carries the original",
    ),
    Case(
        "exchange_stripped_threading_de_aw.eml",
        "exchange",
        R,
        "einladung.dieter",
        FALLBACK,
        why="AW: on a subject that itself holds a colon",
    ),
    _fallback(
        "exchange_stripped_threading_external_tag.eml",
        "exchange",
        "carla",
        "a gateway's [EXTERNAL] tag after the prefix",
    ),
    _fallback(
        "ios_mail_new_message_same_subject.eml",
        "ios mail",
        "alice",
        "a new message with the email's subject, no prefix",
    ),
    _fallback("fallback_foxmail_zh_fullwidth_colon.eml", "foxmail", "wei", "回复 and U+FF1A"),
    _fallback("fallback_outlook_zh_dafu.eml", "exchange", "wei", "答复:"),
    _fallback("fallback_outlook_zh_tw_huifu.eml", "exchange", "mei", "回覆:"),
    _fallback("fallback_ja_henshin.eml", "japanese webmail", "yuki", "返信:"),
    _fallback("fallback_ko_dapjang.eml", "korean webmail", "minji", "답장:"),
    _fallback("fallback_ko_outlook_hoesin.eml", "exchange", "minji", "회신:"),
    _fallback("fallback_el_ap.eml", "exchange", "nikos", "ΑΠ:"),
    _fallback("fallback_el_sxet.eml", "exchange", "nikos", "ΣΧΕΤ:"),
    _fallback("fallback_hu_va.eml", "exchange", "zsofia", "Vá:"),
    _fallback("fallback_lv_atb.eml", "exchange", "liga", "Atb:"),
    _fallback("fallback_hr_odg.eml", "exchange", "ana", "Odg:"),
    _fallback("fallback_pl_odp.eml", "exchange", "zofia", "Odp:"),
    _fallback("fallback_nl_antw.eml", "exchange", "jan", "Antw:"),
    _fallback("fallback_pt_res.eml", "exchange", "joao", "RES:"),
    _fallback("fallback_tr_ynt.eml", "exchange", "ayse", "YNT:"),
    _fallback("fallback_ru_otv.eml", "russian webmail", "ivan", "Отв: in an encoded word"),
    _fallback("fallback_ru_bat_counter.eml", "the bat!", "ivan", "Re[2]:"),
    _fallback("fallback_uk_vidp.eml", "exchange", "olena", "Відп:"),
    _fallback("fallback_sv_stacked.eml", "exchange", "elin", "SV: SV:"),
    _fallback("fallback_no_svar.eml", "exchange", "ingrid", "Svar:"),
    _fallback(
        "fallback_fi_vs_ambiguous.eml",
        "outlook mobile",
        "pekka",
        "VS: without a body marker decides nothing: still a reply",
    ),
    _fallback("fallback_it_rif.eml", "italian webmail", "marco", "RIF:"),
    _fallback("fallback_fr_apple_re_space.eml", "ipad mail", "sophie", "Re : with a space"),
    _fallback("fallback_de_stacked_aw.eml", "gmx", "dieter", "Aw: AW:"),
    _fallback("fallback_es_stacked_re.eml", "exchange", "lucia", "RE: RE:"),
    _fallback("fallback_list_tag.eml", "mailing list", "bob", "[list] tag before Re:"),
    Case(
        "fallback_owner_personal_inbox.eml",
        "generic webmail",
        R,
        "onboarding.hugo",
        FALLBACK,
        inbox="anna",
        why="Reply-To was the owner's personal inbox",
    ),
    Case(
        "fallback_alias_reply.eml",
        "generic webmail",
        R,
        "spring.carla",
        FALLBACK,
        inbox=None,
        why="through the alias info@ while the send's Reply-To was sales itself",
    ),
    Case(
        "fallback_alias_promo_untracked.eml",
        "generic webmail",
        Outcome.NOT_A_REPLY,
        inbox=None,
        why="the send's Reply-To was the alias: no send replies to this inbox by that subject",
    ),
    Case(
        "fallback_tie_most_recent_send.eml",
        "generic webmail",
        R,
        "digest_mar.carla",
        FALLBACK,
        candidates=("digest_feb.carla",),
        why="one subject sent in February and March: the most recent send wins",
    ),
    Case(
        "gmail_fallback_loses_to_header.eml",
        "gmail web",
        R,
        "digest_feb.carla",
        TOKEN,
        why="the fallback would take March's send; the token names February's",
    ),
    Case(
        "fallback_outside_window.eml",
        "generic webmail",
        Outcome.NOT_A_REPLY,
        why="the only send with that subject is 67 days old, past the 30-day window",
    ),
    Case(
        "fallback_wrong_inbox.eml",
        "generic webmail",
        Outcome.NOT_A_REPLY,
        inbox="support",
        why="the send's Reply-To was sales, the message reached support",
    ),
    Case(
        "fallback_stranger_same_subject.eml",
        "generic webmail",
        Outcome.NOT_A_REPLY,
        why="the sender is no contact's address",
    ),
    Case(
        "fallback_subject_mismatch.eml",
        "generic webmail",
        Outcome.NOT_A_REPLY,
        why="a contact's new message about something else",
    ),
    _reply(
        "gmail_reply_quoting_a_forward.eml",
        "gmail web",
        "spring.alice",
        TOKEN,
        why="'Re: Fwd:' with a forward marker only in the quoted text: a reply",
    ),
    _reply(
        "emacs_gnus_reply.eml",
        "gnus",
        "spring.ivan",
        TOKEN,
        why="In-Reply-To carries a comment after the id, folded",
    ),
    Case(
        "outlook_desktop_colleague_resolved_to_other_contact.eml",
        "outlook desktop",
        Outcome.WRONG_SENDER,
        "spring.alice",
        TOKEN,
        resolver={"tom.baker@northwind.test": "bob"},
        why="the resolver names another contact than the send's: never credited",
    ),
    Case(
        "fallback_switched_off.eml",
        "exchange",
        Outcome.NOT_A_REPLY,
        fallback=False,
        why="the same kind of subject-only reply, on a tracker with the fallback off",
    ),
    Case(
        "postfix_bounce.eml",
        "postfix",
        A,
        "spring.mette",
        TOKEN,
        why="a bounce: our token only in the returned headers of the original",
    ),
    # -- automatic mail without threading headers: the fallback ----------------------------
    Case(
        "fallback_auto_reply_de_outlook_stripped.eml",
        "exchange",
        A,
        "spring.dieter",
        FALLBACK,
        why="Outlook's German auto-reply with no threading headers: subject without its form",
    ),
    Case(
        "fallback_auto_reply_ja_iso2022jp.eml",
        "becky!",
        A,
        "spring.yuki",
        FALLBACK,
        why="'自動応答:' in ISO-2022-JP, no threading headers",
    ),
    Case(
        "fallback_auto_reply_zh_qq.eml",
        "qq mail",
        A,
        "spring.wei",
        FALLBACK,
        why="QQ Mail's '自动回复:' in GB2312, no threading headers",
    ),
    Case(
        "fallback_auto_reply_aol_suffix.eml",
        "aol",
        A,
        "spring.bob",
        FALLBACK,
        why="'Re: <subject> (Automatic Response)': the suffix removed",
    ),
    Case(
        "fallback_auto_reply_stranger.eml",
        "exchange",
        Outcome.NOT_A_REPLY,
        why="an auto-reply with our subject from an address no send went to",
    ),
    Case(
        "fallback_auto_reply_lotus_names_no_subject.eml",
        "lotus notes",
        Outcome.NOT_A_REPLY,
        why="Lotus names the person, not our subject: nothing for the fallback to compare",
    ),
    # -- read receipts whose only link is the MDN part ---------------------------------------
    Case(
        "receipt_mdn_original_message_id_only.eml",
        "thunderbird",
        A,
        "spring.carla",
        TOKEN,
        why="no threading headers; our token only in the MDN's Original-Message-ID",
    ),
    Case(
        "receipt_mdn_returned_headers_provider_id.eml",
        "webmail",
        A,
        "pricing.alice",
        MSGID,
        inbox="support",
        why="the SES id only in the returned headers of the MDN",
    ),
    # -- a contact's second address, threading stripped ------------------------------------
    Case(
        "fallback_second_address_resolved.eml",
        "gmail web",
        R,
        "spring.alice",
        FALLBACK,
        resolver={"alice.k@gmail.com": "alice"},
        why="her second address, which the resolver maps to her: her sends are searched",
    ),
    Case(
        "fallback_second_address_unresolved.eml",
        "gmail web",
        Outcome.NOT_A_REPLY,
        why="the same reply without a resolver: no send went to that address",
    ),
    Case(
        "fallback_resolved_to_contact_without_that_email.eml",
        "gmail web",
        Outcome.NOT_A_REPLY,
        resolver={"rob.smith@home.example": "bob"},
        why="the resolver names bob, who never got the digest: never tied to alice's or carla's",
    ),
    Case("gmail_new_inquiry.eml", "gmail web", Outcome.NOT_A_REPLY, why="a stranger's inquiry"),
    Case(
        "malformed_no_header_fields.eml",
        "none",
        Outcome.MALFORMED,
        received=NOW,
        why="no header fields before the first empty line",
    ),
)


@dataclass(frozen=True)
class Observed:
    """What ingesting a case gave, in the case's own terms (symbolic send names)."""

    outcome: Outcome
    send: str | None
    strategy: MatchStrategy | None
    alternate: str | None
    candidates: tuple[str, ...]


def run_case(case: Case) -> tuple[Observed, IngestResult]:
    """Build a fresh world, ingest the case's earlier messages, then its own."""
    world = build_world(case.resolver, fallback=case.fallback)
    for file, inbox in case.before:
        world.ingest(file, inbox, None)
    result = world.ingest(case.file, case.inbox, case.received)
    match = result.match
    observed = Observed(
        outcome=result.outcome,
        send=world.names.get(match.send.id, match.send.id) if match else None,
        strategy=match.strategy if match else None,
        alternate=result.reply.alternate_address if result.reply else None,
        candidates=tuple(world.names.get(c, c) for c in match.candidates) if match else (),
    )
    return observed, result


def expected(case: Case, observed: Observed) -> Observed:
    """What ``observed`` must equal for ``case``, with the unchecked parts taken from it."""
    optional = case.send_optional and observed.send is None
    return Observed(
        outcome=case.outcome,
        send=None if optional else case.send,
        strategy=observed.strategy if case.strategy is None or optional else case.strategy,
        alternate=case.alternate,
        candidates=observed.candidates if case.candidates is None else case.candidates,
    )


def is_false_match(case: Case, observed: Observed) -> bool:
    """A match to a send other than the expected one (or any match where none is expected)."""
    return observed.send is not None and observed.send != case.send
