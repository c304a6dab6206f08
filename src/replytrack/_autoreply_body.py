"""Body phrases for :mod:`replytrack.autoreply`: the tables, their scoring, return dates.

The text comes from :meth:`replytrack.message.RawMessage.body_text` (a bounded read of
the first text part) and, for auto-reply phrases, only its new text above the quote.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import MAXYEAR, date, datetime

from dateutil import parser as date_parser

from replytrack._autoreply_tables import Subtype

__all__ = [
    "AUTO_PHRASES",
    "auto_score",
    "return_date",
]

_TEXT_LIMIT = 8 * 1024  # phrases are looked for in the first 8 KB of the new text
_MAX_ATTEMPTS = 16  # return phrases whose following words are tried as a date
_DATE_SPAN = 256  # characters after a return phrase that can hold its date

# (phrase, subtype, weight). Weight 2: the text says it is automatic. Weight 1: what an
# out-of-office or acknowledgement says, which a person may also write.
AUTO_PHRASES: tuple[tuple[str, Subtype, int], ...] = (
    ("this is an automatic reply", Subtype.OUT_OF_OFFICE, 2),
    ("this is an automated reply", Subtype.AUTO_ACK, 2),
    ("this is an automatic response", Subtype.AUTO_ACK, 2),
    ("this is an automated response", Subtype.AUTO_ACK, 2),
    ("this is an auto-reply", Subtype.OUT_OF_OFFICE, 2),
    ("this is an automatically generated", Subtype.AUTO_ACK, 2),
    ("this message was sent automatically", Subtype.AUTO_ACK, 2),
    ("this mailbox is not monitored", Subtype.AUTO_ACK, 2),
    ("dies ist eine automatische antwort", Subtype.OUT_OF_OFFICE, 2),
    ("ceci est une réponse automatique", Subtype.OUT_OF_OFFICE, 2),
    ("esta es una respuesta automática", Subtype.OUT_OF_OFFICE, 2),
    ("questa è una risposta automatica", Subtype.OUT_OF_OFFICE, 2),
    ("dit is een automatisch antwoord", Subtype.OUT_OF_OFFICE, 2),
    ("to jest automatyczna odpowiedź", Subtype.OUT_OF_OFFICE, 2),
    ("out of the office", Subtype.OUT_OF_OFFICE, 1),
    ("out of office", Subtype.OUT_OF_OFFICE, 1),
    ("away from the office", Subtype.OUT_OF_OFFICE, 1),
    ("away until", Subtype.OUT_OF_OFFICE, 1),
    ("on annual leave", Subtype.OUT_OF_OFFICE, 1),
    ("on leave until", Subtype.OUT_OF_OFFICE, 1),
    ("on vacation", Subtype.OUT_OF_OFFICE, 1),
    ("on holiday", Subtype.OUT_OF_OFFICE, 1),
    ("limited access to e", Subtype.OUT_OF_OFFICE, 1),
    ("when i return", Subtype.OUT_OF_OFFICE, 1),
    ("upon my return", Subtype.OUT_OF_OFFICE, 1),
    ("on my return", Subtype.OUT_OF_OFFICE, 1),
    ("for urgent matters", Subtype.OUT_OF_OFFICE, 1),
    ("nicht im büro", Subtype.OUT_OF_OFFICE, 1),
    ("abwesend", Subtype.OUT_OF_OFFICE, 1),
    ("in dringenden fällen", Subtype.OUT_OF_OFFICE, 1),
    ("absent du bureau", Subtype.OUT_OF_OFFICE, 1),
    ("absente du bureau", Subtype.OUT_OF_OFFICE, 1),
    ("de retour le", Subtype.OUT_OF_OFFICE, 1),
    ("fuera de la oficina", Subtype.OUT_OF_OFFICE, 1),
    ("fuori ufficio", Subtype.OUT_OF_OFFICE, 1),
    ("niet op kantoor", Subtype.OUT_OF_OFFICE, 1),
    ("thank you for your email", Subtype.AUTO_ACK, 1),
    ("thank you for your e-mail", Subtype.AUTO_ACK, 1),
    ("thank you for you e-mail", Subtype.AUTO_ACK, 1),
    ("thank you for your message", Subtype.AUTO_ACK, 1),
    ("thank you for contacting", Subtype.AUTO_ACK, 1),
    ("we have received your", Subtype.AUTO_ACK, 1),
    ("as soon as possible", Subtype.AUTO_ACK, 1),
    ("no longer with", Subtype.LEFT_COMPANY, 1),
    ("no longer work", Subtype.LEFT_COMPANY, 1),
    ("has left the company", Subtype.LEFT_COMPANY, 1),
    ("is no longer in use", Subtype.LEFT_COMPANY, 2),
    ("is no longer active", Subtype.LEFT_COMPANY, 2),
    ("please update your records", Subtype.LEFT_COMPANY, 1),
    ("have your address added", Subtype.CHALLENGE_RESPONSE, 1),
    ("guest list", Subtype.CHALLENGE_RESPONSE, 1),
)

# Phrases that announce the date the person is back, and whether the language writes
# numeric dates day first.
_RETURN_MARKERS: tuple[tuple[str, bool], ...] = (
    ("back on", False),
    ("back in the office on", False),
    ("return on", False),
    ("returning on", False),
    ("returning", False),
    ("return to the office on", False),
    ("until", False),
    ("de retour le", True),
    ("de retour au bureau le", True),
    ("jusqu'au", True),
    ("zurück am", True),
    ("wieder am", True),
    ("bis zum", True),
    ("bis", True),
    ("de vuelta el", True),
    ("hasta el", True),
    ("di ritorno il", True),
    ("fino al", True),
    ("terug op", True),
    ("tot en met", True),
    ("tot", True),
)
_MONTHS = {
    "janvier": "january", "février": "february", "fevrier": "february", "mars": "march",
    "avril": "april", "mai": "may", "juin": "june", "juillet": "july", "août": "august",
    "aout": "august", "septembre": "september", "octobre": "october", "novembre": "november",
    "décembre": "december", "decembre": "december", "januar": "january", "februar": "february",
    "märz": "march", "maerz": "march", "juni": "june", "juli": "july", "oktober": "october",
    "dezember": "december", "enero": "january", "febrero": "february", "marzo": "march",
    "abril": "april", "mayo": "may", "junio": "june", "julio": "july", "agosto": "august",
    "septiembre": "september", "setiembre": "september", "octubre": "october",
    "noviembre": "november", "diciembre": "december", "gennaio": "january",
    "febbraio": "february", "aprile": "april", "maggio": "may", "giugno": "june",
    "luglio": "july", "settembre": "september", "ottobre": "october", "dicembre": "december",
    "januari": "january", "februari": "february", "maart": "march", "mei": "may",
    "augustus": "august",
}  # fmt: skip
_STRIP = ".,;:!?()[]\"'"


def auto_score(text: str) -> tuple[int, Subtype | None]:
    """Sum of the weights of the auto-reply phrases in ``text`` and the first one's subtype."""
    folded = " ".join(text[:_TEXT_LIMIT].casefold().replace("’", "'").split())
    by_kind: dict[Subtype, int] = {}
    for phrase, kind, weight in AUTO_PHRASES:
        if phrase in folded:
            by_kind[kind] = by_kind.get(kind, 0) + weight
    if not by_kind:
        return 0, None
    return sum(by_kind.values()), max(by_kind, key=by_kind.__getitem__)


Sent = datetime | None | Callable[[], datetime | None]


def return_date(text: str, sent: Sent) -> date | None:
    """The date a return phrase names ("back on 3 March", "de retour le 12/03"), or None.

    ``sent`` (the message's date, or a function giving it: parsing it is only worth it
    when a date is found) sets the year of a date that gives none.
    """
    folded = " ".join(text[:_TEXT_LIMIT].casefold().split())
    attempts = _MAX_ATTEMPTS
    for marker, dayfirst in _RETURN_MARKERS:
        start = folded.find(marker + " ")
        while start >= 0 and attempts:
            attempts -= 1
            after = start + len(marker) + 1
            found = _parse_after(folded[after : after + _DATE_SPAN], dayfirst, sent)
            if found is not None:
                return found
            start = folded.find(marker + " ", start + 1)
    return None


def _parse_after(text: str, dayfirst: bool, sent: Sent) -> date | None:
    words: list[str] = []
    for raw in text.split(" ", 6)[:6]:
        word = _MONTHS.get(raw.strip(_STRIP), raw.strip(_STRIP))
        if word in _CONNECTORS:  # "7 de abril", "3rd of March": dropped, dateutil skips them
            continue
        if not (any(c.isdigit() for c in word) or word[:3] in _DATE_WORDS):
            break  # the date ends at the first word that cannot be part of one
        words.append(word)
    if not words:
        return None
    when = sent() if callable(sent) else sent
    base = (when or datetime.now()).replace(tzinfo=None)
    default = datetime(base.year, 1, 1)
    for count in range(len(words), 0, -1):
        candidate = " ".join(w for w in words[:count] if w)
        if not _date_like(candidate):
            continue
        parsed = _day_month_year(words[:count], base.year)
        try:
            if parsed is None:
                parsed = date_parser.parse(candidate, dayfirst=dayfirst, default=default)
        except (ValueError, OverflowError):
            continue
        # "back on 10 March 09:00 +01:00": the zone says nothing about the day, and an
        # aware time cannot be compared with the naive one it was sent at.
        parsed = parsed.replace(tzinfo=None)
        if any(c.isdigit() for c in candidate) and not dayfirst and _ambiguous(candidate):
            return None
        if parsed.year == base.year and str(base.year) not in candidate and parsed < base:
            if base.year >= MAXYEAR:  # the next year is past what a date can hold
                return None
            parsed = parsed.replace(year=base.year + 1)  # "back on 3 January" sent in December
        return parsed.date()
    return None


def _day_month_year(words: list[str], year: int) -> datetime | None:
    """ "3 march 2025", "monday march 3rd": the common unambiguous form, read without dateutil
    (whose tokenizer costs more than all the rules); anything else goes to dateutil."""
    day = month = 0
    for word in words:
        number = word.rstrip("stndrh") if word[:1].isdigit() else ""
        digits = number.isascii() and number.isdigit()  # not "²", not a 5,000-digit number
        if word in _MONTH_NUMBERS and not month:
            month = _MONTH_NUMBERS[word]
        elif digits and len(number) == 4:
            year = int(number)
        elif digits and len(number) <= 2 and not day:
            day = int(number)
        elif word[:3] not in _DATE_WORDS or word in _MONTH_NUMBERS:
            return None
    try:
        return datetime(year, month, day) if day and month else None
    except ValueError:
        return None


_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"),
        start=1,
    )
}  # fmt: skip


def _date_like(candidate: str) -> bool:
    has_digit = any(c.isdigit() for c in candidate)
    has_month = any(m in candidate for m in _ENGLISH_MONTHS)
    return has_digit and (has_month or "/" in candidate or "." in candidate)


_ENGLISH_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                   "dec")  # fmt: skip
_CONNECTORS = frozenset({"of", "de", "del", "the", "le", "den", "der", "il"})
_DATE_WORDS = frozenset((*_ENGLISH_MONTHS, "mon", "tue", "wed", "thu", "fri", "sat", "sun"))


def _ambiguous(candidate: str) -> bool:
    """A numeric date such as 03/04 reads two ways in English-language text."""
    for sep in "/.":
        parts = candidate.split(" ")[0].split(sep)
        if len(parts) >= 2 and all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts[:2]):
            first, second = int(parts[0]), int(parts[1])
            return first <= 12 and second <= 12 and first != second
    return False
