"""Generate examples/sample/: a realistic campaign for the README's first command and the tests.

    python examples/make_sample.py [OUT_FOLDER]     (default: examples/sample)

Northwind Analytics sent three marketing emails (360 sends, ``sends.csv``) and reads two
connected inboxes: the sales team's (``sales.mbox``) and Alice's, an account executive
(``alice.mbox``). The mailboxes hold what such inboxes really get: replies written in Gmail,
Outlook, Apple Mail, Thunderbird and Yahoo, in several languages; out-of-office replies in
seven languages; bounces and a delay notice; a read receipt; a forward; a colleague's reply;
a reply from a private address; replies that Exchange stripped of their threading headers;
replies to the February newsletter, sent before the inboxes were connected; a reply to a send
whose contact owner has no connected inbox; and the everyday mail that is not ours.

``manifest.tsv`` lists every message with the outcome it should get; a test ingests the
mailboxes and checks each. ``messages/`` holds a few of them as .eml files, for
``replytrack explain``. The same seed always writes the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from random import Random

SEED = 2026
HERE = Path(__file__).resolve().parent
DOMAIN = "northwind.example"
SALES = f"sales@{DOMAIN}"
ALICE = f"alice@{DOMAIN}"
CONNECTED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Email:
    id: str
    subject: str
    sender: str
    reply_to: str
    sent_at: datetime
    teaser: tuple[str, ...]


EMAILS = {
    "feb-newsletter": Email(
        "feb-newsletter",
        "Northwind in February: three new dashboards",
        f"Northwind Analytics <news@{DOMAIN}>",
        SALES,
        datetime(2026, 2, 24, 10, 0, tzinfo=UTC),
        ("Three new dashboards landed this month: churn, cohorts and cash.",),
    ),
    "spring-launch": Email(
        "spring-launch",
        "Northwind 5.0: forecasts you can explain",
        f"Northwind Analytics <news@{DOMAIN}>",
        SALES,
        datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        (
            "Northwind 5.0 is out. Every forecast now comes with the three drivers",
            "that moved it most, in plain words your board will read.",
        ),
    ),
    "pricing-webinar": Email(
        "pricing-webinar",
        "Webinar on 19 March: our 2026 pricing, explained",
        f"Alice Moreau <{ALICE}>",
        "contact_owner",
        datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
        (
            "I am hosting a 30-minute webinar on 19 March at 16:00 CET on what changes",
            "in our 2026 plans, and what stays. Reply to this email to save a seat.",
        ),
    ),
}

FIRST = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Emma",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kasia",
    "Liam",
    "Marta",
    "Noah",
    "Olga",
    "Pablo",
    "Quentin",
    "Rosa",
    "Sven",
    "Tomasz",
    "Ulla",
    "Victor",
    "Wiebke",
    "Xavier",
    "Yara",
    "Zoe",
    "Amelie",
    "Bruno",
    "Chiara",
    "Diego",
    "Elif",
    "Felix",
    "Giulia",
    "Hanna",
    "Ivan",
    "Julia",
    "Kenji",
    "Lena",
    "Mateo",
    "Nora",
    "Oskar",
    "Paula",
    "Rafael",
    "Sofia",
    "Theo",
    "Valentina",
    "William",
    "Yusuf",
    "Aiko",
    "Lars",
]
LAST = [
    "Almeida",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Martin",
    "Nakamura",
    "Olsen",
    "Petrov",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Vogel",
    "Weber",
    "Yilmaz",
    "Zimmermann",
    "Moreau",
    "Bianchi",
    "Novak",
    "Horvat",
    "Silva",
    "Dijkstra",
]
# (company, domain, language of its people)
COMPANIES = [
    ("Acme Freight", "acme-freight.example", "en"),
    ("Brightline Energy", "brightline.example", "en"),
    ("Hausmann Logistik", "hausmann-logistik.example", "de"),
    ("Vogel & Söhne", "vogel-soehne.example", "de"),
    ("Maison Lefèvre", "maison-lefevre.example", "fr"),
    ("Banco Arroyo", "bancoarroyo.example", "es"),
    ("De Vries Bouw", "devriesbouw.example", "nl"),
    ("Rossi Tessuti", "rossitessuti.example", "it"),
    ("Nordlys Shipping", "nordlys.example", "sv"),
    ("Kumo Robotics", "kumo-robotics.example", "ja"),
    ("Pinecrest Health", "pinecrest.example", "en"),
    ("Quayside Foods", "quayside.example", "en"),
    ("Orbit Retail", "orbit-retail.example", "en"),
    ("Tejo Seguros", "tejo-seguros.example", "pt"),
    ("Falcon Legal", "falconlegal.example", "en"),
    ("Lumen Studios", "lumenstudios.example", "en"),
]


@dataclass
class Person:
    id: str
    name: str
    address: str
    company: str
    domain: str
    lang: str
    owner: str


@dataclass
class Sent:
    email: Email
    person: Person
    message_id: str
    sent_at: datetime


@dataclass
class Mail:
    mailbox: str
    received: datetime
    sender: str
    what: str
    expected: str
    text: str
    name: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def people(rng: Random) -> list[Person]:
    found = []
    seen = set()
    for number in range(1, 241):
        company, domain, lang = COMPANIES[number % len(COMPANIES)]
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{first}.{last}".lower()
            if (local, domain) not in seen:
                seen.add((local, domain))
                break
        owner = "alice" if number % 12 < 5 else "sam" if number % 12 < 7 else ""
        found.append(
            Person(
                f"c{number:04d}",
                f"{first} {last}",
                f"{local}@{domain}",
                company,
                domain,
                lang,
                owner,
            )
        )
    return found


def message_id(rng: Random, when: datetime) -> str:
    return f"<{when:%Y%m%d%H%M%S}.{rng.getrandbits(64):016x}@mta.mailer.{DOMAIN}>"


def sends(rng: Random, everyone: list[Person]) -> list[Sent]:
    out = []
    feb = EMAILS["feb-newsletter"]
    for person in rng.sample(everyone, 60):
        out.append(Sent(feb, person, message_id(rng, feb.sent_at), feb.sent_at))
    spring = EMAILS["spring-launch"]
    for n, person in enumerate(rng.sample(everyone, 200)):
        when = spring.sent_at + timedelta(minutes=0 if n < 120 else 20)
        out.append(Sent(spring, person, message_id(rng, when), when))
    webinar = EMAILS["pricing-webinar"]
    alices = [p for p in everyone if p.owner == "alice"]
    sams = [p for p in everyone if p.owner == "sam"]
    for person in rng.sample(alices, 80) + rng.sample(sams, 20):
        out.append(Sent(webinar, person, message_id(rng, webinar.sent_at), webinar.sent_at))
    return out


# -- how each mail client writes a reply ---------------------------------------------------
ZONES = {"en": 0, "de": 1, "fr": 1, "es": 1, "nl": 1, "it": 1, "sv": 1, "ja": 9, "pt": 0}


def date_header(when: datetime, lang: str) -> str:
    return format_datetime(when.astimezone(timezone(timedelta(hours=ZONES.get(lang, 0)))))


def quoted(sent: Sent, style: str) -> list[str]:
    email = sent.email
    when = sent.sent_at
    if style == "gmail":
        head = [f"On {when:%a}, {when.day} {when:%b %Y} at {when:%H:%M}, {email.sender} wrote:"]
        return ["", *head, *(f"> {line}" for line in email.teaser)]
    if style == "outlook":
        return [
            "",
            "________________________________",
            f"From: {email.sender}",
            f"Sent: {when:%A}, {when:%B} {when.day}, {when:%Y %I:%M %p}",
            f"To: {sent.person.name} <{sent.person.address}>",
            f"Subject: {email.subject}",
            "",
            *email.teaser,
        ]
    head = [f"> On {when.day} {when:%b %Y}, at {when:%H:%M}, {email.sender} wrote:", ">"]
    return ["", *head, *(f"> {line}" for line in email.teaser)]


def threading(parent: str) -> list[str]:
    return [f"In-Reply-To: {parent}", f"References: {parent}"]


def client_headers(client: str, rng: Random, person: Person, subject: str) -> tuple[list[str], str]:
    """(headers that client adds, its Message-ID) and the quoting style name."""
    token = hashlib.sha1(f"{client}{person.address}{subject}{rng.random()}".encode()).hexdigest()
    if client in ("gmail", "gmail-android"):
        return [f"Message-ID: <CAF{token[:28]}@mail.gmail.com>"], "gmail"
    if client in ("outlook", "owa", "exchange-stripped"):
        host = f"DB9PR{token[:2].upper()}MB{int(token[2:6], 16):04d}.eurprd0{int(token[6], 16) % 9}.prod.outlook.com"
        topic = subject.split(": ", 1)[-1]
        return [
            f"Message-ID: <{host.split('.')[0]}{token[8:20].upper()}@{host}>",
            f"Thread-Topic: {topic}",
            f"Thread-Index: AQH{token[20:40]}==",
            "X-MS-Has-Attach: ",
            "Content-Language: en-US"
            if person.lang == "en"
            else f"Content-Language: {person.lang}-{person.lang.upper()}",
        ], "outlook"
    if client in ("apple", "iphone"):
        uid = f"{token[:8]}-{token[8:12]}-{token[12:16]}-{token[16:20]}-{token[20:32]}".upper()
        mailer = "Apple Mail (2.3774.300.61.1.2)" if client == "apple" else "iPhone Mail (21E236)"
        return [f"Message-ID: <{uid}@{person.domain}>", f"X-Mailer: {mailer}"], "apple"
    if client == "thunderbird":
        uid = f"{token[:8]}-{token[8:12]}-{token[12:16]}-{token[16:20]}-{token[20:32]}"
        agent = "User-Agent: Mozilla Thunderbird"
        return [
            f"Message-ID: <{uid}@{person.domain}>",
            agent,
            f"Content-Language: {person.lang}",
        ], "gmail"
    if client == "yahoo":
        ids = f"{int(token[:8], 16)}.{int(token[8:14], 16)}.{int(token[14:22], 16)}"
        return [
            f"Message-ID: <{ids}@mail.yahoo.com>",
            "X-Mailer: WebService/1.1.22077 YMailNorrin",
        ], "gmail"
    raise ValueError(client)


REPLY_PREFIX = {"en": "Re: ", "de": "AW: ", "fr": "RE : ", "es": "RE: ", "nl": "Antw: ",
                "it": "R: ", "sv": "SV: ", "ja": "Re: ", "pt": "RES: "}  # fmt: skip
OUTLOOK_PREFIX = {"en": "RE: ", "de": "AW: ", "fr": "RE : ", "es": "RE: ", "nl": "RE: ",
                  "it": "R: ", "sv": "SV: ", "ja": "RE: ", "pt": "RE: "}  # fmt: skip

REPLIES = {
    "en": [
        "Thanks, this looks useful. Could you send me a quote for 25 seats?",
        "Interesting. Does the driver breakdown work with our Snowflake data?",
        "Can we book a call next week? Tuesday or Wednesday afternoon works for me.",
        "Please take me off this list, we moved to another vendor last year.",
        "Forwarding to our finance lead is not needed, I am the right person. Let's talk.",
        "We are on 4.2 today. Is the upgrade free on our current plan?",
        "Great timing, we are reviewing our forecasting tools this quarter.",
        "Not for us right now, maybe in Q3. Thanks anyway.",
    ],
    "de": [
        "Danke für die Info. Können Sie mir ein Angebot für 10 Lizenzen schicken?",
        "Klingt spannend. Gibt es eine Demo auf Deutsch?",
        "Bitte rufen Sie mich nächste Woche an, am besten Donnerstag.",
    ],
    "fr": [
        "Merci, pouvez-vous m'envoyer la grille tarifaire ?",
        "Bonjour, nous serions intéressés par une démonstration en avril.",
    ],
    "es": ["Gracias. ¿Podemos agendar una llamada la semana que viene?"],
    "nl": ["Bedankt! Kunnen jullie een offerte sturen voor ons team van 8?"],
    "it": ["Grazie, mi interessa. Potete chiamarmi giovedì?"],
    "sv": ["Tack! Vi vill gärna se en demo."],
    "ja": ["ご案内ありがとうございます。資料を送っていただけますか。"],
    "pt": ["Obrigado. Podem enviar uma proposta para 15 utilizadores?"],
}
WEBINAR_REPLIES = [
    "Please save me a seat, thanks Alice!",
    "Count me in. Will there be a recording?",
    "I can't make the 19th, could you send the slides afterwards?",
    "Yes please, and my colleague Tom would like to join too.",
    "Save a seat for me. Will you cover multi-year discounts?",
]
SIGNOFF = {"en": "Best,", "de": "Viele Grüße", "fr": "Cordialement,", "es": "Saludos,",
           "nl": "Groet,", "it": "Cordiali saluti,", "sv": "Hälsningar,", "ja": "よろしくお願いします。",
           "pt": "Cumprimentos,"}  # fmt: skip


def plain(headers: list[str], body: list[str], flowed: bool = False) -> str:
    kind = "text/plain; charset=utf-8" + ("; format=flowed" if flowed else "")
    return "\n".join([*headers, "MIME-Version: 1.0", f"Content-Type: {kind}",
                      "Content-Transfer-Encoding: 8bit", "", *body, ""])  # fmt: skip


def alternative(headers: list[str], body: list[str], boundary: str) -> str:
    html = "".join(f"<div>{line or '<br>'}</div>" for line in body if not line.startswith(">"))
    return "\n".join([
        *headers, "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"', "",
        f"--{boundary}", "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit", "", *body, "",
        f"--{boundary}", "Content-Type: text/html; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit", "", f"<html><body>{html}</body></html>", "",
        f"--{boundary}--", "",
    ])  # fmt: skip


def reply(rng: Random, sent: Sent, client: str, text: str, when: datetime, **options: str) -> str:
    person, email = sent.person, sent.email
    prefix = OUTLOOK_PREFIX if client in ("outlook", "owa", "exchange-stripped") else REPLY_PREFIX
    subject = options.get("subject") or prefix[person.lang] + email.subject
    extra, style = client_headers(client, rng, person, subject)
    sender = options.get("sender") or f"{person.name} <{person.address}>"
    to = options.get("to") or (ALICE if email.reply_to == "contact_owner" else SALES)
    headers = [f"From: {sender}", f"To: {to}"]
    if "cc" in options:
        headers.append(f"Cc: {options['cc']}")
    headers += [f"Subject: {subject}", f"Date: {date_header(when, person.lang)}", *extra]
    if client != "exchange-stripped":
        headers += threading(options.get("parent") or sent.message_id)
    first = person.name.split()[0]
    body = [text, "", SIGNOFF[person.lang], first]
    if client == "iphone":
        body += ["", "Sent from my iPhone"]
    if client == "gmail-android":
        body += ["", "Sent from Gmail for Android"] if person.lang == "en" else []
    body += quoted(sent, style)
    if client in ("gmail", "outlook", "owa"):
        return alternative(
            headers,
            body,
            f"000000000000{hashlib.md5(subject.encode() + text.encode()).hexdigest()[:16]}",
        )
    return plain(headers, body, flowed=client == "thunderbird")


def enc(text: str) -> str:
    """A header value as mail clients write it: RFC 2047 encoded words when not ASCII."""
    if text.isascii():
        return text
    from email.header import Header

    return Header(text, "utf-8").encode()


# -- automatic mail ---------------------------------------------------------------------------
OOO = {  # language -> (subject prefix, body)
    "en": (
        "Automatic reply: ",
        "I am out of the office until 16 March with limited access to email.",
    ),
    "de": (
        "Automatische Antwort: ",
        "Ich bin bis einschließlich 13.03. nicht im Büro. In dringenden Fällen wenden Sie sich bitte an info@{domain}.",
    ),
    "fr": (
        "Réponse automatique : ",
        "Je suis absente jusqu'au 16 mars. Pour toute urgence, contactez accueil@{domain}.",
    ),
    "es": ("Respuesta automática: ", "Estoy fuera de la oficina hasta el 16 de marzo."),
    "nl": (
        "Automatisch antwoord: ",
        "Ik ben afwezig tot en met 13 maart en lees mijn mail beperkt.",
    ),
    "it": ("Risposta automatica: ", "Sono fuori ufficio fino al 16 marzo."),
    "sv": ("Automatiskt svar: ", "Jag är på semester till den 16 mars."),
    "ja": ("自動応答: ", "3月16日まで不在にしております。"),
    "pt": ("Resposta automática: ", "Estou ausente até 16 de março."),
}


def out_of_office(sent: Sent, when: datetime, style: str = "exchange") -> str:
    person, email = sent.person, sent.email
    prefix, text = OOO[person.lang]
    to = ALICE if email.reply_to == "contact_owner" else SALES
    headers = [f"From: {person.name} <{person.address}>", f"To: {to}"]
    if style == "gmail":  # Gmail's vacation responder: the user's own subject, RFC 3834 header
        headers += [
            "Subject: Out of office until 16 March",
            f"Date: {date_header(when, person.lang)}",
            f"Message-ID: <CAvacation{sent.message_id[2:18]}@mail.gmail.com>",
            "Auto-Submitted: auto-replied",
            *threading(sent.message_id),
        ]
    elif style == "lotus":  # HCL Notes: a German subject, no RFC 3834 header
        headers += [
            enc(f"Subject: Abwesenheitsnotiz: {email.subject}"),
            f"Date: {date_header(when, person.lang)}",
            f"Message-ID: <OF{sent.message_id[2:14]}.ON00{sent.message_id[14:18]}@{person.domain}>",
            "X-Mailer: HCL Notes Release 12.0.2",
            *threading(sent.message_id),
        ]
        text = "Ich bin bis zum 13.03.2026 abwesend. Ihre Nachricht wird nicht weitergeleitet."
    else:  # Exchange / Microsoft 365 in the recipient's language
        headers += [
            "Subject: " + enc(prefix + email.subject),
            f"Date: {date_header(when, person.lang)}",
            f"Message-ID: <{sent.message_id[2:20].upper()}@{person.domain}>",
            "Auto-Submitted: auto-generated",
            "X-Auto-Response-Suppress: All",
            f"Thread-Topic: {enc(email.subject)}",
            *threading(sent.message_id),
        ]
    return plain(headers, [text.format(domain=person.domain), "", person.name])


def report(headers: list[str], kind: str, parts: list[tuple[str, list[str]]], boundary: str) -> str:
    lines = [*headers, "MIME-Version: 1.0",
             f'Content-Type: multipart/report; report-type={kind}; boundary="{boundary}"', ""]  # fmt: skip
    for content_type, body in parts:
        lines += [f"--{boundary}", f"Content-Type: {content_type}", "", *body, ""]
    return "\n".join([*lines, f"--{boundary}--", ""])


def original_headers(sent: Sent) -> list[str]:
    return [
        f"From: {sent.email.sender}",
        f"To: {sent.person.address}",
        f"Subject: {sent.email.subject}",
        f"Date: {format_datetime(sent.sent_at)}",
        f"Message-ID: {sent.message_id}",
    ]


def bounce(sent: Sent, when: datetime, style: str) -> str:
    person, email = sent.person, sent.email
    to = ALICE if email.reply_to == "contact_owner" else SALES
    action, status = ("delayed", "4.2.2") if style == "delay" else ("failed", "5.1.1")
    dsn = ["Reporting-MTA: dns; mx1." + person.domain, "", f"Final-Recipient: rfc822; {person.address}",
           f"Action: {action}", f"Status: {status}",
           f"Diagnostic-Code: smtp; {'452 4.2.2 mailbox full' if action == 'delayed' else '550 5.1.1 user unknown'}"]  # fmt: skip
    stamp = f"{when:%Y%m%d%H%M%S}"
    if style == "exchange":
        headers = [f"From: Microsoft Outlook <postmaster@{person.domain}>", f"To: {to}",
                   f"Subject: Undeliverable: {email.subject}", f"Date: {date_header(when, 'en')}",
                   f"Message-ID: <NDR{stamp}@{person.domain}>", "Auto-Submitted: auto-replied"]  # fmt: skip
        text = [f"Your message to {person.address} couldn't be delivered.",
                f"{person.name.split()[0]} wasn't found at {person.domain}."]  # fmt: skip
        returned = ("message/rfc822", [*original_headers(sent), "", *email.teaser])
    else:
        subject = (
            "Delayed Mail (still being retried)"
            if style == "delay"
            else "Undelivered Mail Returned to Sender"
        )
        headers = [f"From: Mail Delivery System <MAILER-DAEMON@mx1.{person.domain}>", f"To: {to}",
                   f"Subject: {subject}", f"Date: {date_header(when, 'en')}",
                   f"Message-ID: <{stamp}.{status}@mx1.{person.domain}>", "Auto-Submitted: auto-replied"]  # fmt: skip
        text = ["This is the mail system at host mx1." + person.domain + ".", "",
                "I'm sorry to have to inform you that your message could not",
                "be delivered to one or more recipients." if action == "failed"
                else "be delivered yet. It will be retried until it is 5 days old."]  # fmt: skip
        returned = ("text/rfc822-headers", original_headers(sent))
    parts = [("text/plain; charset=us-ascii", text), ("message/delivery-status", dsn), returned]
    return report(headers, "delivery-status", parts, f"{stamp}/{person.domain}")


def read_receipt(sent: Sent, when: datetime) -> str:
    person, email = sent.person, sent.email
    headers = [f"From: {person.name} <{person.address}>", f"To: {SALES}",
               f"Subject: Read: {email.subject}", f"Date: {date_header(when, person.lang)}",
               f"Message-ID: <MDN{sent.message_id[2:18]}@{person.domain}>",
               f"References: {sent.message_id}"]  # fmt: skip
    parts = [
        ("text/plain; charset=utf-8", [f"Your message to {person.name} was read on {when:%A, %d %B %Y %H:%M}."]),
        ("message/disposition-notification", [
            "Reporting-UA: Microsoft Outlook 16.0", f"Final-Recipient: rfc822;{person.address}",
            f"Original-Message-ID: {sent.message_id}",
            "Disposition: manual-action/MDN-sent-manually; displayed"]),
    ]  # fmt: skip
    return report(headers, "disposition-notification", parts, f"mdn-{sent.message_id[2:12]}")


def forward(sent: Sent, colleague: str, when: datetime) -> str:
    person, email = sent.person, sent.email
    headers = [f"From: {person.name} <{person.address}>", f"To: {colleague}", f"Cc: {SALES}",
               f"Subject: Fwd: {email.subject}", f"Date: {date_header(when, person.lang)}",
               f"Message-ID: <CAFwd{sent.message_id[2:22]}@mail.gmail.com>", *threading(sent.message_id)]  # fmt: skip
    body = ["Tom, have a look at this before our planning meeting.", "",
            "---------- Forwarded message ---------", f"From: {email.sender}",
            f"Date: {format_datetime(sent.sent_at)}", f"Subject: {email.subject}",
            f"To: {person.name} <{person.address}>", "", *email.teaser]  # fmt: skip
    return plain(headers, body)


def note(
    sender: str, to: str, subject: str, when: datetime, body: list[str], extra: list[str]
) -> str:
    key = hashlib.sha1(f"{sender}{subject}{when}".encode()).hexdigest()[:20]
    domain = sender.rsplit("@", 1)[-1].rstrip(">")
    headers = [f"From: {sender}", f"To: {to}", f"Subject: {enc(subject)}",
               f"Date: {date_header(when, 'en')}", f"Message-ID: <{key}@{domain}>", *extra]  # fmt: skip
    return plain(headers, body)


def everyday(inbox: str, start: datetime) -> list[tuple[str, str, datetime, str]]:
    """(what, sender, received, raw) of the mail an inbox gets that has nothing to do with us."""
    at = [start + timedelta(hours=5 + 9 * n, minutes=7 * n) for n in range(12)]
    bulk = ["List-Unsubscribe: <https://news.cloudhost.example/u/8812>", "Precedence: bulk",
            "List-Id: CloudHost product news <news.cloudhost.example>"]  # fmt: skip
    mails = [
        ("a vendor's newsletter", "CloudHost <news@cloudhost.example>",
         "Your March product digest", bulk, ["Five things we shipped in March."]),
        ("an invoice notification", "CloudHost Billing <no-reply@billing.cloudhost.example>",
         "Invoice INV-2026-0312 is available", ["Auto-Submitted: auto-generated"],
         ["Your invoice for March is available in the billing portal."]),
        ("a new inquiry from a stranger", "Jo Okonkwo <jo@newlead.example>",
         "Pricing for 50 users?", [], ["Hi, we are 50 analysts. What would Northwind cost us?", "", "Jo"]),
        ("a colleague's internal mail", f"Priya Shah <priya@{DOMAIN}>",
         "Q1 pipeline review moved to Thursday", [], ["Same room, 10:00. Bring the numbers per region."]),
        ("a calendar invitation", f"Marco Ruiz <marco@{DOMAIN}>",
         "Invitation: Demo with Pinecrest @ Thu 12 Mar 15:00", [],
         ["Marco Ruiz has invited you to: Demo with Pinecrest.", "Join: https://meet.example/abc-defg-hij"]),
        ("a reply in a one-to-one thread", "Dana Whitfield <dana@whitfield-co.example>",
         "Re: Our call yesterday", ["In-Reply-To: <b7c1e2@mail.northwind.example>"],
         ["Thanks for the notes, all correct. Speak Friday."]),
        ("a social network notification", "Linkly <notifications@linkly.example>",
         "You appeared in 14 searches this week", ["List-Unsubscribe: <mailto:unsub@linkly.example>",
                                                    "Precedence: bulk"], ["See who's looking."]),
        ("a cold pitch", "Growth Rocket <hello@growthrocket.example>",
         "Quick question about Northwind's SEO", [], ["Would you be open to a 10-minute chat?"]),
    ]  # fmt: skip
    if inbox == ALICE:
        mails = [mails[i] for i in (3, 4, 5, 7)]
    return [
        (what, sender, at[n], note(sender, inbox, subject, at[n], body, extra))
        for n, (what, sender, subject, extra, body) in enumerate(mails)
    ]


# -- the campaign's inbound mail ----------------------------------------------------------------
CLIENTS = ["gmail", "outlook", "apple", "iphone", "gmail-android", "owa", "thunderbird", "yahoo"]


def campaign_mail(rng: Random, all_sends: list[Sent]) -> list[Mail]:
    by_email: dict[str, list[Sent]] = {}
    for sent in all_sends:
        by_email.setdefault(sent.email.id, []).append(sent)
    spring = list(by_email["spring-launch"])
    rng.shuffle(spring)
    used: set[str] = set()

    def take(lang: str | None = None, pool: list[Sent] = spring) -> Sent:
        for sent in pool:
            if sent.person.id not in used and (lang is None or sent.person.lang == lang):
                used.add(sent.person.id)
                return sent
        raise LookupError(lang)

    def after(sent: Sent, hours: float) -> datetime:
        return sent.sent_at + timedelta(hours=hours)

    mails: list[Mail] = []

    def add(
        box: str,
        when: datetime,
        sent: Sent | None,
        what: str,
        expected: str,
        text: str,
        name: str = "",
    ) -> None:
        sender = f"{sent.person.name} <{sent.person.address}>" if sent else ""
        mails.append(Mail(box, when, sender, what, expected, text, name))

    # 22 contacts reply to the spring launch from every major client, two of them twice
    langs = ["en"] * 12 + ["de", "de", "fr", "fr", "es", "nl", "it", "sv", "ja", "pt"]
    for n, lang in enumerate(langs):
        sent = take(lang)
        client = CLIENTS[n % len(CLIENTS)]
        text = REPLIES[lang][n % len(REPLIES[lang])]
        when = after(sent, 1 + n * 2.5)
        name = "reply-gmail.eml" if n == 0 else "reply-outlook.eml" if n == 1 else ""
        add(
            "sales",
            when,
            sent,
            f"a reply from {client} ({lang})",
            "reply",
            reply(rng, sent, client, text, when),
            name,
        )
        if n in (2, 5):
            later = when + timedelta(days=1, hours=3)
            follow = "One more question: is SSO included in the team plan?"
            add("sales", later, sent, "a second reply from the same contact", "reply",
                reply(rng, sent, client, follow, later))  # fmt: skip
    # Exchange servers that strip In-Reply-To and References: matched by the subject fallback
    for n, lang in enumerate(["en", "de", "en"]):
        sent = take(lang)
        when = after(sent, 30 + n)
        text = REPLIES[lang][(n + 3) % len(REPLIES[lang])]
        add("sales", when, sent, "a reply whose threading headers Exchange stripped", "reply",
            reply(rng, sent, "exchange-stripped", text, when), "reply-no-threading.eml" if n == 0 else "")  # fmt: skip
    # a reply-all that reached both inboxes: counted once (alice is synced first)
    sent = take("en")
    when = after(sent, 26)
    raw = reply(
        rng,
        sent,
        "gmail",
        "Looping in Alice: we would like a demo for our ops team.",
        when,
        cc=ALICE,
    )
    add("alice", when, sent, "a reply-all copied to Alice", "reply", raw)
    add("sales", when, sent, "the same reply-all, in the sales inbox", "duplicate", raw)
    # out-of-office replies in seven languages, a Gmail vacation responder and HCL Notes
    for n, lang in enumerate(["en", "de", "fr", "es", "nl", "it", "sv", "ja", "en", "de"]):
        sent = take(lang)
        style = "gmail" if n == 8 else "lotus" if n == 9 else "exchange"
        name = "out-of-office.eml" if n == 1 else ""
        add("sales", after(sent, 0.05 + n / 100), sent, f"an out-of-office ({lang}, {style})", "automatic",
            out_of_office(sent, after(sent, 0.05 + n / 100), style), name)  # fmt: skip
    # bounces: four hard (Postfix, Exchange), one delay notice (not a bounce in the report)
    for n, style in enumerate(["postfix", "exchange", "postfix", "exchange", "delay"]):
        sent = take()
        add("sales", after(sent, 0.01 + n / 200), sent, f"a bounce ({style})", "automatic",
            bounce(sent, after(sent, 0.01 + n / 200), style), "bounce.eml" if n == 0 else "")  # fmt: skip
    sent = take("en")
    add(
        "sales",
        after(sent, 3),
        sent,
        "a read receipt",
        "automatic",
        read_receipt(sent, after(sent, 3)),
    )
    sent = take("en")
    colleague = f"tom.baker@{sent.person.domain}"
    add("sales", after(sent, 5), sent, "a forward to a colleague, copied to sales", "forward",
        forward(sent, colleague, after(sent, 5)), "forward.eml")  # fmt: skip
    first = sent.person.name.split()[0]
    text = f"Tom here, {first} forwarded me your email. We'd like a trial for the finance team."
    raw = reply(rng, sent, "outlook", text, after(sent, 28), sender=f"Tom Baker <{colleague}>")
    add(
        "sales",
        after(sent, 28),
        sent,
        "the colleague's reply",
        "wrong_sender",
        raw,
        "colleague.eml",
    )
    sent = take("en")
    private = sent.person.name.lower().replace(" ", "") + "@yahoo.example"
    raw = reply(rng, sent, "yahoo", "Writing from my personal account: yes, send details.", after(sent, 40),
                sender=f"{sent.person.name} <{private}>")  # fmt: skip
    add(
        "sales",
        after(sent, 40),
        sent,
        "a reply from the contact's private address",
        "wrong_sender",
        raw,
    )

    # the February newsletter went out before the inboxes were connected: never counted
    feb = list(by_email["feb-newsletter"])
    rng.shuffle(feb)
    sent = take("en", feb)
    add("sales", after(sent, 0.1), sent, "an out-of-office before sales@ was connected", "before_tracking",
        out_of_office(sent, after(sent, 0.1)))  # fmt: skip
    sent = take("en", feb)
    add("sales", after(sent, 2), sent, "a reply before sales@ was connected", "before_tracking",
        reply(rng, sent, "gmail", "Nice update. Is the cash dashboard in the basic plan?", after(sent, 2)),
        "reply-before-connected.eml")  # fmt: skip
    sent = take("en", feb)
    when = CONNECTED + timedelta(days=2, hours=3)
    add("sales", when, sent, "a late reply to a send made before sales@ was connected", "untracked",
        reply(rng, sent, "outlook", "Sorry for the late answer: yes, the cohort view interests us.", when))  # fmt: skip

    # the pricing webinar: Reply-To is each contact's owner; Sam has no connected inbox
    webinar = list(by_email["pricing-webinar"])
    rng.shuffle(webinar)
    alices = [s for s in webinar if s.person.owner == "alice"]
    for n in range(9):
        sent = take(None, alices)
        client = CLIENTS[(n + 3) % len(CLIENTS)]
        when = after(sent, 2 + n * 3)
        add("alice", when, sent, f"a webinar reply from {client}", "reply",
            reply(rng, sent, client, WEBINAR_REPLIES[n % len(WEBINAR_REPLIES)], when))  # fmt: skip
    sent = take("de", alices)
    add("alice", after(sent, 20), sent, "a webinar reply without threading headers", "reply",
        reply(rng, sent, "exchange-stripped", "Ich bin dabei, danke!", after(sent, 20)))  # fmt: skip
    for lang in ["en", "fr", "nl"]:
        sent = take(lang, alices)
        add("alice", after(sent, 0.1), sent, f"an out-of-office ({lang})", "automatic",
            out_of_office(sent, after(sent, 0.1)))  # fmt: skip
    sent = take(None, alices)
    add(
        "alice",
        after(sent, 0.02),
        sent,
        "a bounce",
        "automatic",
        bounce(sent, after(sent, 0.02), "postfix"),
    )
    sent = take("en", [s for s in webinar if s.person.owner == "sam"])
    add("alice", after(sent, 6), sent, "a reply to a send of Sam's, who has no connected inbox",
        "untracked", reply(rng, sent, "gmail", "Yes please, one seat for me.", after(sent, 6)),
        "reply-untracked.eml")  # fmt: skip
    return mails


# -- writing the files -------------------------------------------------------------------------
def write_sends(path: Path, all_sends: list[Sent]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["email_id", "subject", "from_address", "reply_to", "contact_id", "address",
                      "owner", "message_id", "sent_at"])  # fmt: skip
        for s in all_sends:
            out.writerow([s.email.id, s.email.subject, s.email.sender, s.email.reply_to, s.person.id,
                          s.person.address, s.person.owner, s.message_id, s.sent_at.isoformat()])  # fmt: skip


def mbox_entry(mail: Mail) -> str:
    envelope = mail.sender.rsplit("<", 1)[-1].rstrip(">") or "MAILER-DAEMON"
    envelope = envelope if "@" in envelope else "MAILER-DAEMON"
    lines = [(">" + line if line.startswith("From ") else line) for line in mail.text.split("\n")]
    return (
        f"From {envelope} {mail.received:%a %b %d %H:%M:%S %Y}\n"
        + "\n".join(lines).rstrip("\n")
        + "\n\n"
    )


def main(out: Path) -> None:
    rng = Random(SEED)
    everyone = people(rng)
    all_sends = sends(rng, everyone)
    mails = campaign_mail(rng, all_sends)
    for box, address in (("sales", SALES), ("alice", ALICE)):
        for what, sender, when, raw in everyday(address, CONNECTED + timedelta(days=1)):
            mails.append(Mail(box, when, sender, what, "not_a_reply", raw,
                              "stranger.eml" if what.startswith("a new inquiry") else ""))  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / "messages").mkdir(exist_ok=True)
    write_sends(out / "sends.csv", all_sends)
    rows = ["mailbox\tnumber\treceived\texpected\twhat\teml"]
    for box in ("sales", "alice"):
        inbox = sorted((m for m in mails if m.mailbox == box), key=lambda m: m.received)
        with (out / f"{box}.mbox").open("w", encoding="utf-8", newline="\n") as handle:
            for number, mail in enumerate(inbox, start=1):
                handle.write(mbox_entry(mail))
                rows.append(
                    f"{box}\t{number}\t{mail.received.isoformat()}\t{mail.expected}\t{mail.what}\t{mail.name}"
                )
                if mail.name:
                    (out / "messages" / mail.name).write_text(mail.text, encoding="utf-8")
    (out / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "sample")
