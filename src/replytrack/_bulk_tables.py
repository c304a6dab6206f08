"""Vocabulary of list and bulk mail that carries no List-Unsubscribe, for :mod:`replytrack.autoreply`.

A list server writes under its own addresses (RFC 2142 and the list managers' own
conventions), names its digests in its own way, and bulk senders put the recipient's
address in the envelope sender (VERP). System mailings sent as HTML alone carry the
footers below. Each entry says who writes it.
"""

from __future__ import annotations

__all__ = [
    "DIGEST_SUBJECTS",
    "LIST_SERVER_LOCALPARTS",
    "LIST_SERVER_PREFIXES",
    "LIST_SERVER_SUFFIXES",
    "SYSTEM_FOOTERS",
]

# The list manager's own mailbox, which sends digests, confirmations and notices.
LIST_SERVER_LOCALPARTS = frozenset(
    {
        "mailman",  # GNU Mailman site list
        "majordomo",  # Majordomo
        "listserv",  # L-Soft LISTSERV
        "sympa",  # Sympa
        "ezmlm",  # ezmlm
        "lyris",  # Lyris ListManager
        "listproc",  # ListProc
        "mlmmj",  # mlmmj
    }
)
# Per-list robot addresses: Mailman's <list>-request/-bounces/-owner (RFC 2142 section
# 6 names <list>-request for administrative requests), Majordomo's owner-<list>.
LIST_SERVER_SUFFIXES = ("-request", "-bounces", "-owner")
LIST_SERVER_PREFIXES = ("owner-",)

# How list managers name a digest in its subject, case-folded: (marker, source). The
# subject must also say "digest", and the message come from a list.
DIGEST_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("digest, vol", "Mailman: '<list> Digest, Vol 42, Issue 7'"),
    ("digest vol", "Sympa: '<list> Digest Vol 12 Issue 3'"),
    ("digest number", "Yahoo Groups: '[group] Digest Number 1234'"),
    ("digest for ", "Google Groups: 'Digest for <group> - 3 updates in 2 topics'"),
    ("abridged summary of", "Google Groups abridged digest"),
    ("digest v", "Majordomo: '<list> Digest V1 #123'"),
    ("digest - ", "LISTSERV: '<LIST> Digest - 1 Mar 2025 to 2 Mar 2025 (#2025-61)'"),
    ("digest #", "ezmlm: '<list> Digest #123'"),
)

# Footer sentences of system mailings and newsletters, case-folded: (text, language).
# Not a person's signature: no disclaimer or copyright line is here.
SYSTEM_FOOTERS: tuple[tuple[str, str], ...] = tuple(
    (text.casefold(), language)
    for text, language in (
        ("unsubscribe", "en"),
        ("view this email in your browser", "en"),
        ("view in browser", "en"),
        ("manage your preferences", "en"),
        ("email preferences", "en"),
        ("you are receiving this email because", "en"),
        ("you received this email because", "en"),
        ("this email was sent to", "en"),
        ("do not reply to this email", "en"),
        ("please do not reply", "en"),
        ("this is an automated message", "en"),
        ("abmelden", "de"),
        ("abbestellen", "de"),
        ("bitte antworten sie nicht auf diese e-mail", "de"),
        ("se désabonner", "fr"),
        ("se désinscrire", "fr"),
        ("désinscription", "fr"),
        ("merci de ne pas répondre", "fr"),
        ("darse de baja", "es"),
        ("cancelar la suscripción", "es"),
        ("por favor, no responda", "es"),
        ("annulla l'iscrizione", "it"),
        ("disiscriviti", "it"),
        ("afmelden", "nl"),
        ("uitschrijven", "nl"),
        ("descadastrar", "pt"),
        ("cancelar inscrição", "pt"),
        ("wypisz się", "pl"),
        ("odhlásit", "cs"),
        ("avregistrera", "sv"),
        ("avsluta prenumeration", "sv"),
        ("afmeld", "da"),
        ("meld deg av", "no"),
        ("peruuta tilaus", "fi"),
        ("配信停止", "ja"),
        ("配信解除", "ja"),
        ("退订", "zh"),
        ("取消訂閱", "zh-tw"),
        ("수신거부", "ko"),
        ("отписаться", "ru"),
    )
)
