"""Split a reply's text into what the sender wrote now and the quoted original.

The quoted original starts at the first of: a ``>`` quoted line, a separator line
("-----Original Message-----", Outlook's underscore rule, "Begin forwarded
message:"), an attribution line ("On <date>, <name> wrote:" and its translations,
also when a client wraps it over two lines), or an Outlook-style header block
("From: ..." followed by "Sent:"/"Date:"/"To:"/"Subject:" in any of several
languages). Everything above it is the new text.
"""

from __future__ import annotations

__all__ = ["new_text", "snippet"]

# Lines that open the quoted original (compared lower-cased, stripped).
_SEPARATORS = frozenset(
    {
        "-----original message-----",
        "----- original message -----",
        "-------- original message --------",
        "-------- message d'origine --------",
        "-----message d'origine-----",
        "-----ursprüngliche nachricht-----",
        "-----oorspronkelijk bericht-----",
        "-----messaggio originale-----",
        "-----mensaje original-----",
        "-----mensagem original-----",
        "-----ursprungligt meddelande-----",
        "-----oprindelig meddelelse-----",
        "-----opprinnelig melding-----",
        "-----wiadomość oryginalna-----",
        "-----исходное сообщение-----",
        "begin forwarded message:",
        "---------- forwarded message ---------",
    }
)
# How attribution lines end: English, German, French, Spanish, Portuguese, Italian, Dutch,
# Polish, Scandinavian, Finnish, Russian, Turkish, Hungarian, Romanian, Czech.
_WROTE_ENDINGS = (
    "wrote:",
    "writes:",
    "schrieb:",
    "a écrit :",
    "a écrit:",
    "escribió:",
    "escreveu:",
    "scritto:",
    "schreef:",
    "napisał:",
    "napisał(a):",
    "skrev:",
    "kirjoitti:",
    "написал:",
    "написал(а):",
    "yazdı:",
    "írta:",
    "a scris:",
    "napsal:",
    "napsal(a):",
)
# Attribution lines open with these words ("On ...", "Le ...", "Am ...", "El ...").
_WROTE_OPENERS = ("on ", "le ", "am ", "el ", "em ", "il ", "op ", "w dniu ", "den ", "dne ")
_FROM_LABELS = ("from:", "de :", "de:", "von:", "van:", "da:", "od:", "fra:", "från:")
_HEADER_LABELS = (
    "sent:", "date:", "to:", "subject:", "envoyé :", "envoyé:", "à :", "objet :", "gesendet:",
    "an:", "betreff:", "enviado:", "para:", "asunto:", "inviato:", "oggetto:", "verzonden:",
    "aan:", "onderwerp:", "wysłano:", "temat:", "skickat:", "ämne:", "sendt:", "emne:",
)  # fmt: skip


def new_text(body: str) -> str:
    """The text above the quoted original; the whole text when nothing is quoted."""
    lines = body.splitlines()
    for index, line in enumerate(lines):
        if _opens_quote(line.strip().lower(), lines, index):
            return "\n".join(lines[:index]).strip()
    return body.strip()


def _opens_quote(lowered: str, lines: list[str], index: int) -> bool:
    if not lowered:
        return False
    if lowered.startswith(">") or lowered in _SEPARATORS:
        return True
    if lowered.startswith("____________") and not lowered.strip("_"):
        return True  # Outlook's horizontal rule above the original's header block
    if lowered.endswith(_WROTE_ENDINGS) and len(lowered) < 300:
        return lowered.startswith(_WROTE_OPENERS) or "@" in lowered
    if lowered.endswith(":") and lowered.startswith(_WROTE_OPENERS) and len(lowered) < 300:
        # Thunderbird's German form puts the name after the verb: "Am ... schrieb X <x@y>:"
        return any(" " + ending.rstrip(" :") in lowered for ending in _WROTE_ENDINGS)
    if lowered.startswith(_WROTE_OPENERS) and index + 1 < len(lines):
        following = lines[index + 1].strip().lower()
        if following.endswith(_WROTE_ENDINGS) and len(lowered) + len(following) < 300:
            return True  # an attribution wrapped over two lines
    if lowered.startswith(_FROM_LABELS) and index > 0:
        window = (line.strip().lower() for line in lines[index + 1 : index + 5])
        return any(line.startswith(_HEADER_LABELS) for line in window)
    return False


def snippet(body: str, length: int = 200) -> str:
    """The first ``length`` characters of the new text, white space folded."""
    text = " ".join(new_text(body).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
