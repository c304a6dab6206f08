"""Split a reply's text into what the sender wrote now and the quoted original."""

from __future__ import annotations

__all__ = ["new_text", "snippet"]

# Lines that open the quoted original in common clients (compared lower-cased, stripped).
_QUOTE_OPENERS = (
    "-----original message-----",
    "----- original message -----",
    "-------- original message --------",
    "-------- message d'origine --------",
    "-----ursprüngliche nachricht-----",
    "________________________________",
    "begin forwarded message:",
    "---------- forwarded message ---------",
)
_WROTE_ENDINGS = (
    "wrote:",
    "writes:",
    "schrieb:",
    "a écrit :",
    "a écrit:",
    "escribió:",
    "scritto:",
    "написал:",
    "napisał:",
    "skrev:",
    "schreef:",
)


def new_text(body: str) -> str:
    """The text above the quoted original: quote markers and attribution lines cut it."""
    kept: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        lowered = stripped.lower()
        if stripped.startswith(">"):
            break
        if lowered in _QUOTE_OPENERS or (
            lowered.startswith("on ") and lowered.endswith(_WROTE_ENDINGS)
        ):
            break
        if lowered.endswith(_WROTE_ENDINGS) and len(lowered) < 200 and "@" in lowered:
            break
        if lowered.startswith("from:") and kept and any(k.strip() for k in kept):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def snippet(body: str, length: int = 200) -> str:
    """The first ``length`` characters of the new text, white space folded."""
    text = " ".join(new_text(body).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
