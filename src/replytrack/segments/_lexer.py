"""The segment language's tokens: words, quoted text, numbers, dates, times and symbols."""

from __future__ import annotations

import re
from datetime import date, datetime

import attrs

from replytrack.errors import SegmentSyntaxError

__all__ = ["Token", "tokenize"]

# Longest first: a time before a date before a number.
_PATTERNS = (
    ("space", r"\s+|#[^\n]*"),
    ("time", r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[Zz]|[+-]\d{2}:\d{2})?"),
    ("date", r"\d{4}-\d{2}-\d{2}"),
    ("number", r"-?\d+(?:\.\d+)?"),
    ("word", r"[^\W\d]\w*"),
    ("op", r"==|!=|<>|<=|>=|&&|\|\||[=<>!&|]"),
    ("punct", r"[()\[\],]"),
    ("string", r"\"|'"),
)
_SCANNER = re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in _PATTERNS))

# Symbols from other query languages, and what to write instead.
_FOREIGN = {
    "==": "use '=' to compare, not '=='",
    "<>": "use '!=' for 'is not', not '<>'",
    "&&": "write 'and', not '&&'",
    "&": "write 'and', not '&'",
    "||": "write 'or', not '||'",
    "|": "write 'or', not '|'",
    "!": "write 'not', not '!'",
}


@attrs.frozen
class Token:
    """One token: ``kind`` is word, string, number, date, time, op, punct or end."""

    kind: str
    text: str
    start: int
    end: int
    value: object = None

    def shown(self) -> str:
        """The token as an error message names it."""
        if self.kind == "end":
            return "the end of the segment"
        if self.kind in ("word", "op", "punct"):
            return f"'{self.text}'"
        return self.text


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token; SegmentSyntaxError on bad input."""
    tokens = []
    at = 0
    while at < len(text):
        match = _SCANNER.match(text, at)
        if match is None:
            raise SegmentSyntaxError(f"unexpected character {text[at]!r}", text=text, position=at)
        kind = match.lastgroup or ""
        if kind == "string":
            token = _string(text, at)
        else:
            token = Token(kind, match.group(), at, match.end())
            token = _checked(token, text)
        at = token.end
        if kind != "space":
            tokens.append(token)
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _checked(token: Token, text: str) -> Token:
    def fail(message: str) -> SegmentSyntaxError:
        return SegmentSyntaxError(message, text=text, position=token.start, end=token.end)

    if token.kind == "op" and token.text in _FOREIGN:
        raise fail(_FOREIGN[token.text])
    if token.kind == "number":
        value: object = float(token.text) if "." in token.text else int(token.text)
        return attrs.evolve(token, value=value)
    if token.kind == "date":
        try:
            return attrs.evolve(token, value=date.fromisoformat(token.text))
        except ValueError as exc:
            raise fail(f"{token.text} is not a date: {exc}") from None
    if token.kind == "time":
        try:
            when = datetime.fromisoformat(token.text.upper().replace("Z", "+00:00"))
        except ValueError as exc:
            raise fail(f"{token.text} is not a time: {exc}") from None
        if when.tzinfo is None:
            raise fail(
                f"{token.text} has no UTC offset; write {token.text}Z for UTC"
                f" or {token.text}+02:00 for two hours ahead of it"
            )
        return attrs.evolve(token, value=when)
    return token


def _string(text: str, start: int) -> Token:
    """A quoted text: '...' or "...", a backslash escapes the quote or itself."""
    quote = text[start]
    chars = []
    at = start + 1
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text) and text[at + 1] in (quote, "\\"):
            chars.append(text[at + 1])
            at += 2
            continue
        if char == quote:
            return Token("string", text[start : at + 1], start, at + 1, "".join(chars))
        chars.append(char)
        at += 1
    raise SegmentSyntaxError(
        f"this text has no closing {quote}", text=text, position=start, end=len(text)
    )
