"""Subject lines and bodies as mail clients write them: reply and forward prefixes, forward markers.

Three functions, each linear in its input (no backtracking regular expressions):

* :func:`normalise_subject` strips the stacked, bracketed and localised reply and
  forward prefixes (``Re: AW: Re[2]: Fwd:``), list and gateway tags (``[team-list]``,
  ``[EXTERNAL]``), then folds white space and case, so that two spellings of one
  subject compare equal. It is for comparison only, never for display.
* :func:`forward_kind` reads the outermost prefix: True for a forward, False for a
  reply, None when there is no known prefix or the prefix means a reply in one
  language and a forward in another (``VS``) and no language settles it.
* :func:`has_forward_marker` finds the forwarded-message marker a client puts in
  the body it writes (Gmail, Apple Mail, Thunderbird, Yahoo, Outlook's header block).

How a caller combines them (what the correlator does): an unambiguous prefix
decides; with no prefix or an ambiguous one, a body marker makes the message a
forward; an ambiguous prefix alone decides nothing.

Where the prefixes come from
----------------------------
Mail clients write the prefix in the language of their user interface, not of
the message:

* **Outlook** (desktop, on the web, mobile) localises both prefixes: ``AW``/``WG``
  in German, ``RE``/``TR`` in French, ``R``/``I`` in Italian, ``SV``/``VS`` in Danish
  and Norwegian but ``VS``/``VL`` in Finnish. Most of the table below is Outlook's,
  one locale per row. Outlook also keeps the original subject, without any
  prefix, in ``Thread-Topic``.
* **Thunderbird** writes ``Re:`` and ``Fwd:`` in every locale; it *recognises*
  localised prefixes through the ``mailnews.localizedRe`` preference, a comma-separated
  list of the local forms (``AW`` for German users, ``SV`` for Swedish...) that language
  packs and users fill in; its ``mailnews.reply_header_*`` preferences shape the
  attribution line in the body, not the subject.
* **Gmail** (web, Android) and **Apple Mail** (macOS, iOS) write ``Re:`` and
  ``Fwd:`` in every language; Apple Mail in French writes ``Re :`` with a space.
* East Asian clients (Foxmail and QQ Mail, NetEase, Naver, Japanese carrier
  mail) write native prefixes, often with a full-width colon (U+FF1A).
* **Lotus Notes** writes ``Antwort:`` (German) and ``Réf. :`` (French); **The Bat!**
  counts replies (``Re[2]:``); Eudora and others write ``Re(2):`` or ``Re^2:``.

A prefix is a known word (see ``_PREFIX_TABLE``), optionally followed by a
counter (``[2]``, ``(2)``, ``^2``) and an optional trailing dot, then a colon
(``:`` or the full-width U+FF1A), with any white space between. Case is folded.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

from replytrack._autoreply_tables import (
    AUTO_SUBJECT_PREFIXES,
    AUTO_SUBJECT_SUFFIXES,
    fold_subject,
)

__all__ = [
    "PrefixKind",
    "forward_kind",
    "has_forward_marker",
    "normalise_subject",
    "prefix_meanings",
    "strip_auto_reply",
]


class PrefixKind(enum.Enum):
    """What a subject prefix says about the message."""

    #: the message answers the one whose subject follows
    REPLY = "reply"
    #: the message passes the one whose subject follows on to someone else
    FORWARD = "forward"


_R = PrefixKind.REPLY
_F = PrefixKind.FORWARD
_ANY = "*"  # written by clients in every language

# (prefix as written, meaning, languages (BCP 47 primary subtags) that write it, source)
_PREFIX_TABLE: tuple[tuple[str, PrefixKind, tuple[str, ...], str], ...] = (
    # -- replies -------------------------------------------------------------------------------
    ("Re", _R, (_ANY,), "RFC 5322 3.6.5; Gmail, Apple Mail, Thunderbird, Yahoo, Outlook en"),
    ("AW", _R, ("de",), "Outlook de (Antwort); GMX, Web.de"),
    ("Antwort", _R, ("de",), "Lotus Notes de"),
    ("Antw", _R, ("nl",), "Outlook nl (Antwoord)"),
    ("SV", _R, ("sv", "da", "no", "is"), "Outlook sv, da, nb, is (Svar)"),
    ("Svar", _R, ("sv", "da", "no"), "Outlook for Mac and webmail in sv, da, nb"),
    ("VS", _R, ("fi", "et"), "Outlook fi (Vastaus), et (Vastus)"),
    ("Odp", _R, ("pl", "cs", "sk"), "Outlook pl (Odpowiedź), cs (Odpověď)"),
    ("R", _R, ("it",), "Outlook it (Risposta)"),
    ("RIF", _R, ("it",), "Lotus Notes it and Italian webmail (Riferimento)"),
    ("Vá", _R, ("hu",), "Outlook hu (Válasz)"),
    ("YNT", _R, ("tr",), "Outlook tr (Yanıt)"),
    ("RES", _R, ("pt",), "Outlook pt-BR (Resposta)"),
    ("Réf", _R, ("fr",), "Lotus Notes fr (Référence)"),
    ("Odg", _R, ("hr", "sl", "sr", "bs"), "Outlook hr, sl, sr-Latn (Odgovor)"),
    ("Atb", _R, ("lv", "cy"), "Outlook lv (Atbilde), cy (Ateb)"),
    ("ATS", _R, ("lt",), "Outlook lt (Atsakymas)"),
    ("Отв", _R, ("ru",), "Russian-localised clients (Ответ), Lotus Notes ru"),
    ("Ответ", _R, ("ru",), "Russian-localised mobile and web clients"),
    ("Відп", _R, ("uk",), "Outlook uk (Відповідь)"),
    ("Одг", _R, ("sr", "mk"), "Outlook sr-Cyrl (Одговор)"),
    ("ΑΠ", _R, ("el",), "Outlook el (Απάντηση)"),
    ("ΣΧΕΤ", _R, ("el",), "older Outlook el (Σχετικά)"),
    ("回复", _R, ("zh",), "Foxmail, QQ Mail, NetEase 163/126"),
    ("答复", _R, ("zh",), "Outlook zh-CN"),
    ("回覆", _R, ("zh",), "Outlook zh-TW"),
    ("返信", _R, ("ja",), "Japanese webmail and carrier mail (Outlook ja writes RE)"),
    ("답장", _R, ("ko",), "Korean webmail and mobile clients (Daum, Naver)"),
    ("회신", _R, ("ko",), "Outlook ko"),
    ("השב", _R, ("he",), "Outlook he"),
    ("رد", _R, ("ar",), "Outlook ar"),
    ("Trả lời", _R, ("vi",), "Outlook vi"),
    # -- forwards ------------------------------------------------------------------------------
    ("Fwd", _F, (_ANY,), "Gmail, Apple Mail, Thunderbird, Yahoo"),
    ("Fw", _F, (_ANY,), "Outlook en and most locales (FW)"),
    ("WG", _F, ("de",), "Outlook de (Weitergeleitet)"),
    ("TR", _F, ("fr",), "Outlook fr (Transféré)"),
    ("RV", _F, ("es",), "Outlook es (Reenviado)"),
    ("ENC", _F, ("pt",), "Outlook pt-BR, pt-PT (Encaminhado)"),
    ("I", _F, ("it",), "Outlook it (Inoltrato)"),
    ("PD", _F, ("pl",), "Outlook pl (Przekaż dalej)"),
    ("PŘ", _F, ("cs",), "Outlook cs (Předat)"),
    ("Doorst", _F, ("nl",), "Outlook nl (Doorsturen)"),
    ("VB", _F, ("sv",), "Outlook sv (Vidarebefordrat)"),
    ("VS", _F, ("da", "no"), "Outlook da, nb (Videresendt)"),
    ("VL", _F, ("fi",), "Outlook fi (Välitetty)"),
    ("FS", _F, ("is",), "Outlook is (Framsent)"),
    ("Továbbítás", _F, ("hu",), "Outlook hu"),
    ("İLT", _F, ("tr",), "Outlook tr (İlet)"),
    ("ILT", _F, ("tr",), "Outlook tr, written without the dotted capital"),
    ("Pārs", _F, ("lv",), "Outlook lv (Pārsūtīts)"),
    ("PRSL", _F, ("lt",), "Outlook lt (Persiųsta)"),
    ("YML", _F, ("cy",), "Outlook cy (Ymlaen)"),
    ("ПЕР", _F, ("ru", "uk"), "Russian and Ukrainian localised clients (Переслать)"),
    ("Пересл", _F, ("ru",), "Russian-localised clients (Пересланное)"),
    ("ΠΡΘ", _F, ("el",), "Outlook el (Προώθηση)"),
    ("转发", _F, ("zh",), "Outlook zh-CN, Foxmail, QQ Mail"),
    ("轉寄", _F, ("zh",), "Outlook zh-TW"),
    ("轉發", _F, ("zh",), "zh-HK and zh-TW webmail"),
    ("転送", _F, ("ja",), "Japanese webmail and carrier mail"),
    ("전달", _F, ("ko",), "Outlook ko, Naver"),
    ("הועבר", _F, ("he",), "Outlook he"),
    ("إعادة توجيه", _F, ("ar",), "Outlook ar"),
    ("Chuyển tiếp", _F, ("vi",), "Outlook vi"),
)
# Checked and not ambiguous: SV (a reply in every language that writes it), R and RIF
# (Italian replies only), I (an Italian forward only), TR (French forward; Turkish writes
# İLT), AW (German reply only). Ambiguous: VS (Finnish and Estonian reply, Danish and
# Norwegian forward). The ambiguity is derived from the table, not declared.


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _build() -> tuple[dict[str, dict[str, PrefixKind]], dict[str, PrefixKind | None]]:
    meanings: dict[str, dict[str, PrefixKind]] = {}
    for written, kind, languages, _source in _PREFIX_TABLE:
        per_language = meanings.setdefault(_key(written), {})
        for language in languages:
            per_language[language] = kind
    kinds: dict[str, PrefixKind | None] = {}
    for key, per_language in meanings.items():
        distinct = set(per_language.values())
        kinds[key] = distinct.pop() if len(distinct) == 1 else None
    return meanings, kinds


_MEANINGS, _KINDS = _build()
_MAX_PREFIX = 2 + max(len(key) for key in _KINDS) + 8  # room for a counter and spaces
_MAX_TAG = 64
_COLONS = (":", "：")
_TAG_CLOSE = {"[": "]", "【": "】"}
_LANGUAGE_ALIASES = {"nb": "no", "nn": "no"}


def prefix_meanings(prefix: str) -> dict[str, PrefixKind]:
    """What ``prefix`` means per language (``"*"``: every language); empty when unknown."""
    return dict(_MEANINGS.get(_key(prefix), {}))


def _prefix_key(candidate: str) -> str | None:
    """The table key of the text before a colon, counter and trailing dot dropped."""
    text = candidate.strip()
    if text[-1:] in ("]", ")"):
        opening = text.rfind("[" if text[-1] == "]" else "(")
        if opening <= 0 or not text[opening + 1 : -1].strip().isdigit():
            return None
        text = text[:opening]
    else:
        head, caret, count = text.rpartition("^")
        if caret and head and count.strip().isdigit():
            text = head
    key = _key(text.rstrip().removesuffix("."))
    return key if key in _KINDS else None


def _scan(subject: str) -> Iterator[str | int]:
    """Yield the key of each leading prefix in order, then the index where the subject starts.

    List tags among the prefixes are skipped. Every step moves past what it read and
    looks at most a bounded distance ahead, so the scan is linear in the subject.
    """
    i = 0
    end = len(subject)
    while True:
        while i < end and subject[i].isspace():
            i += 1
        if i >= end:
            break
        close = _TAG_CLOSE.get(subject[i])
        if close is not None:
            stop = subject.find(close, i + 1, i + _MAX_TAG)
            if stop < 0:
                break
            i = stop + 1
            continue
        window = min(end, i + _MAX_PREFIX)
        colon = -1
        for mark in _COLONS:
            found = subject.find(mark, i, window)
            if found >= 0 and (colon < 0 or found < colon):
                colon = found
        if colon <= i:
            break
        key = _prefix_key(subject[i:colon])
        if key is None:
            break
        yield key
        i = colon + 1
    yield i


def normalise_subject(subject: str) -> str:
    """``subject`` without reply/forward prefixes and leading tags, white space and case folded.

    >>> normalise_subject("AW: Re[2]:  [team-list] Spring   WEBINAR")
    'spring webinar'
    """
    start = 0
    for item in _scan(subject):
        if isinstance(item, int):
            start = item
    rest = " ".join(subject[start:].split()).casefold()
    if rest.endswith("(fwd)"):  # Pine and Alpine mark a forward at the end
        rest = rest[: -len("(fwd)")].rstrip()
    return rest


_MAX_AUTO_PREFIX = 2 + max(len(key) for key in AUTO_SUBJECT_PREFIXES)
_MAX_AUTO_FORMS = 4  # "Automatic reply: Out of Office: ..." stacked by chained responders


def strip_auto_reply(subject: str) -> str:
    """The subject an automatic reply answers, normalised as :func:`normalise_subject`.

    Leading auto-reply forms are removed ("Automatic reply:", "Réponse automatique :",
    "自動応答:", "[Automatyczna odpowiedź]", in every language of
    ``replytrack._autoreply_tables.AUTO_SUBJECTS``), then a trailing one ("(Automatic
    Response)"), then the reply prefixes and tags that may follow. A subject made of an
    auto-reply form alone ("Out of Office") gives ''.

    >>> strip_auto_reply("Automatische Antwort: AW: Spring   Sale")
    'spring sale'
    """
    rest = subject.strip()
    for _ in range(_MAX_AUTO_FORMS):
        cut = _auto_form_end(rest)
        if cut is None:
            break
        rest = rest[cut:].strip()
    if fold_subject(rest) in AUTO_SUBJECT_PREFIXES:
        return ""
    folded = " ".join(rest.split()).casefold()
    if folded.endswith(")"):
        for suffix in AUTO_SUBJECT_SUFFIXES:
            if folded.endswith(suffix):
                folded = folded[: -len(suffix)].rstrip()
                break
    return normalise_subject(folded)


def _auto_form_end(subject: str) -> int | None:
    """Where the text after a leading auto-reply form starts, or None when there is none."""
    if subject.startswith("["):
        close = subject.find("]", 1, _MAX_AUTO_PREFIX)
        if close > 0 and fold_subject(subject[1:close]) in AUTO_SUBJECT_PREFIXES:
            return close + 1
        return None
    window = subject[:_MAX_AUTO_PREFIX]
    colons = [at for at in (window.find(":"), window.find("："), window.find(" :")) if at > 0]
    if not colons:
        return None
    colon = min(colons)
    if fold_subject(subject[:colon]) not in AUTO_SUBJECT_PREFIXES:
        return None
    return subject.find(":", colon) + 1 if subject[colon] == " " else colon + 1


def forward_kind(subject: str, language: str | None = None) -> bool | None:
    """True when the outermost prefix is a forward, False for a reply, None when undecided.

    None when there is no known prefix, or when the prefix means a reply in one
    language and a forward in another (``VS``); ``language`` (a BCP 47 tag such as
    the ``Content-Language`` Outlook sets, ``"fi-FI"``) settles such a prefix when
    the table knows what it means in that language.

    >>> forward_kind("WG: AW: Angebot"), forward_kind("SV: offer"), forward_kind("VS: offer")
    (True, False, None)
    """
    first = next(_scan(subject))
    if isinstance(first, int):
        return True if subject.rstrip().casefold().endswith("(fwd)") else None
    kind = _KINDS[first]
    if kind is None and language:
        primary = language.strip().split("-")[0].split("_")[0].casefold()
        kind = _MEANINGS[first].get(_LANGUAGE_ALIASES.get(primary, primary))
    if kind is None:
        return None
    return kind is PrefixKind.FORWARD


# -- forwarded-message markers in bodies ---------------------------------------------------------
# The text inside a dashed separator line, as Gmail (web, Android: "---------- Forwarded
# message ---------"), Thunderbird ("-------- Forwarded Message --------") and Yahoo ("-----
# Forwarded Message -----") write it in their locales.
_DASHED = frozenset(
    _key(text)
    for text in (
        "Forwarded message",  # Gmail en, Thunderbird en, Yahoo en
        "Weitergeleitete Nachricht",  # Gmail de, Thunderbird de
        "Message transféré",  # Gmail fr, Thunderbird fr
        "Mensaje reenviado",  # Gmail es, Thunderbird es
        "Messaggio inoltrato",  # Gmail it, Thunderbird it
        "Doorgestuurd bericht",  # Gmail nl, Thunderbird nl
        "Mensagem encaminhada",  # Gmail pt
        "Vidarebefordrat meddelande",  # Gmail sv
        "Videresendt meddelelse",  # Gmail da
        "Videresendt melding",  # Gmail nb
        "Välitetty viesti",  # Gmail fi
        "Wiadomość przekazana dalej",  # Gmail pl
        "Přeposlaná zpráva",  # Gmail cs
        "Továbbított üzenet",  # Gmail hu
        "Пересылаемое сообщение",  # Gmail ru
        "転送されたメッセージ",  # Gmail ja
        "转发的邮件",  # Gmail zh-CN
    )
)
# Apple Mail (macOS and iOS) writes a sentence on a line of its own.
_LEADS = frozenset(
    _key(text).replace(" :", ":")
    for text in (
        "Begin forwarded message:",
        "Anfang der weitergeleiteten Nachricht:",
        "Début du message réexpédié :",
        "Inicio del mensaje reenviado:",
        "Inizio messaggio inoltrato:",
        "Begin doorgestuurd bericht:",
        "Início da mensagem reencaminhada:",
        "Vidarebefordrat mejl:",
    )
)
# Outlook (desktop and on the web) forwards with the original's header block at the top of
# the new text, each label localised. A reply has the same block, below what was written.
_FROM_LABELS = frozenset(
    (
        *("from", "von", "de", "van", "da", "från", "fra", "lähettäjä", "od", "от", "feladó"),
        *("kimden", "发件人", "寄件者", "差出人", "보낸 사람"),
    )
)
_SENT_LABELS = frozenset(
    (
        *("sent", "date", "gesendet", "datum", "envoyé", "enviado", "enviado el", "enviada em"),
        *("verzonden", "inviato", "data", "skickat", "sendt", "lähetetty", "wysłano", "odesláno"),
        *("отправлено", "elküldve", "gönderildi", "tarih", "发送时间", "寄件日期", "送信日時"),
        "보낸 날짜",
    )
)
_SUBJECT_LABELS = frozenset(
    (
        *("subject", "betreff", "objet", "asunto", "onderwerp", "oggetto", "ämne", "emne", "aihe"),
        *("temat", "předmět", "тема", "tárgy", "konu", "assunto", "主题", "主旨", "件名", "제목"),
    )
)
_OUTLOOK_OPENERS = frozenset(("-----original message-----", "-----ursprüngliche nachricht-----"))
_HEADER_BLOCK_LINES = 8


def _label(line: str) -> str:
    """The field label of a 'Label: value' line, bold stars dropped; '' when none."""
    cut = -1
    for mark in _COLONS:
        found = line.find(mark, 0, 24)
        if found >= 0 and (cut < 0 or found < cut):
            cut = found
    return _key(line[:cut].strip("* \t")) if cut > 0 else ""


def _is_separator(line: str) -> bool:
    return (len(line) >= 3 and line.strip("_-=─") == "") or line.casefold() in _OUTLOOK_OPENERS


def has_forward_marker(body_text: str) -> bool:
    """True when the text a client wrote marks a forwarded message.

    Read: a dashed "Forwarded message" line (Gmail, Thunderbird, Yahoo) or Apple
    Mail's "Begin forwarded message:" on any unquoted line, and Outlook's
    "From: / Sent: / To: / Subject:" block when it opens the text (localised labels).
    Lines quoted with ``>`` are someone else's text and never count.
    """
    head: list[str] = []
    for raw_line in body_text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith(">"):
            continue
        if len(head) < _HEADER_BLOCK_LINES:
            head.append(line)
        if line[0] in "-─" and line[-1] in "-─":
            if _key(line.strip("-─ ")) in _DASHED:
                return True
        elif line[-1] in ":：" and _key(line).replace(" :", ":") in _LEADS:
            return True
    return _opens_with_header_block(head)


def _opens_with_header_block(lines: list[str]) -> bool:
    start = 0
    while start < len(lines) and _is_separator(lines[start]):
        start += 1
    if start >= len(lines) or _label(lines[start]) not in _FROM_LABELS:
        return False
    labels = {_label(line) for line in lines[start + 1 :]}
    return bool(labels & _SENT_LABELS) and bool(labels & _SUBJECT_LABELS)
