"""Email addresses: parse them (email-validator, syntax only), and tell when two spellings reach one mailbox.

:func:`parse_address` turns one address, with or without a display name, into
an :class:`Address`, or an :class:`InvalidAddress` that says what is wrong and
where. Parses are cached, so calling it once per recipient stays cheap.
:func:`bare_address` is the address as a record keeps it (a contact's, an
inbox's): as written, without the display name, lower-cased; plainly simple
addresses take a fast path that a test proves equal to the parser.

:func:`mailbox_key` is the spelling a provider delivers to; two addresses are
:func:`equivalent` when their keys are equal:

* everywhere: the domain's case, its Unicode or punycode (IDN) form, quotes
  around a local part that needs none, and the display name do not matter;
* Gmail (gmail.com, googlemail.com): dots and a ``+tag`` in the local part do
  not matter, nor does its case, and googlemail.com is gmail.com;
* Google Workspace (``provider="gmail"`` on a domain of your own): a ``+tag``
  and case do not matter, dots do;
* Outlook.com, Hotmail, Live, MSN and Microsoft 365 (``provider="outlook"``):
  a ``+tag`` and case do not matter, dots do;
* anywhere else: the local part is taken as written, dots and case included
  (RFC 5321 leaves it to the receiving server).
"""

from __future__ import annotations

import functools
import re
import string
from typing import Literal

import attrs
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from replytrack.errors import ConfigurationError, InvalidAddressError

__all__ = [
    "Address",
    "InvalidAddress",
    "Provider",
    "bare_address",
    "equivalent",
    "mailbox_key",
    "parse_address",
    "provider_of",
    "require_address",
]

Provider = Literal["gmail", "outlook"]

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_OUTLOOK_DOMAIN = re.compile(
    r"(outlook|hotmail|live|msn|windowslive)\.(com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})"
)
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
# The plainly simple address (lower-case ASCII dot-atom, letters-only top-level domain),
# which the parser accepts as it is whenever the checks in _simple() hold too.
_SIMPLE = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
# A reserved name as the whole domain or as its end ("@localhost", ".localhost").
_RESERVED_ENDINGS = tuple(
    f"{sep}{d}" for d in SPECIAL_USE_DOMAIN_NAMES if d != "test" for sep in "@."
)
_MAX_ADDRESS = 254
_MAX_LOCAL = 64


@attrs.frozen
class Address:
    """One parsed address.

    ``local`` is the local part without quotes, case as written; ``domain`` is
    the ASCII (punycode) domain in lower case; ``text`` is the bare address as
    a person would write it (Unicode domain, quotes kept).
    """

    local: str
    domain: str
    text: str
    display_name: str = ""

    @property
    def spec(self) -> str:
        """``local@domain`` with the quotes removed and the domain in ASCII."""
        return f"{self.local}@{self.domain}"


@attrs.frozen
class InvalidAddress:
    """An address that does not parse: what is wrong, and at which character (0-based)."""

    value: str
    reason: str
    position: int | None = None

    def describe(self) -> str:
        """The reason, with the position and a caret under it when there is one."""
        if self.position is None:
            return f"{self.value!r} is not a valid address: {self.reason}"
        caret = " " * self.position + "^"
        return (
            f"{self.value!r} is not a valid address: {self.reason} "
            f"at position {self.position}\n  {self.value}\n  {caret}"
        )


@functools.lru_cache(maxsize=8192)
def parse_address(value: str) -> Address | InvalidAddress:
    """Parse one address, such as ``Sales <sales@example.com>``; the result is cached.

    Syntax only (RFC 5322 with RFC 6531 internationalised addresses, IDNA 2008
    domains): nothing is looked up in the DNS.
    """
    try:
        checked = validate_email(
            value,
            check_deliverability=False,
            allow_display_name=True,
            allow_quoted_local=True,
            allow_domain_literal=False,
            globally_deliverable=False,
            test_environment=True,
        )
    except EmailNotValidError as exc:
        reason, position = _locate_problem(value)
        if position is None and value.strip():
            reason = str(exc).rstrip(".")
        return InvalidAddress(value=value, reason=reason, position=position)
    local = _unquote(checked.local_part)
    quoted = f'"{_escape(local)}"' if checked.local_part.startswith('"') else local
    return Address(
        local=local,
        domain=checked.ascii_domain.lower(),
        text=f"{quoted}@{checked.domain}",
        display_name=checked.display_name or "",
    )


def bare_address(value: str) -> str | InvalidAddress:
    """``value``'s address as written, without display name or angle brackets, lower-cased
    (``"Bob <Bob@Example.org>"`` is ``bob@example.org``); or why it is not an address.

    Surrounding white space is ignored. A plainly simple address is checked without the
    parser; anything else goes through :func:`parse_address`.
    """
    text = value.strip()
    simple = _simple(text)
    if simple is not None:
        return simple
    parsed = parse_address(text)
    if isinstance(parsed, InvalidAddress):
        return parsed
    if text.endswith(">"):
        opening = _unquoted(text, "<")
        if opening is not None:
            text = text[opening + 1 : -1].strip()
    return text.lower()


def require_address(value: object, what: str) -> str:
    """:func:`bare_address` of ``value``, or an error that starts with ``what`` (the record
    and field) and shows where the address goes wrong."""
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{what}: expected an address as a str, like 'bob@example.org', got {value!r}"
        )
    found = bare_address(value)
    if isinstance(found, InvalidAddress):
        raise InvalidAddressError(
            f"{what}: {found.describe()}",
            value=found.value,
            reason=found.reason,
            position=found.position,
        )
    return found


def _simple(text: str) -> str | None:
    """``text`` lower-cased when it is a plainly simple address, else None (ask the parser)."""
    if len(text) > _MAX_ADDRESS or not text.isascii():
        return None
    low = text.lower()
    if _SIMPLE.fullmatch(low) is None:
        return None
    at = low.index("@")
    # Longer local parts, R-LDH and Punycode labels ("ab--", "xn--") and reserved
    # domains are the parser's to judge (or refuse).
    if at > _MAX_LOCAL or low.find("--", at) >= 0 or low.endswith(_RESERVED_ENDINGS):
        return None
    return low


def provider_of(domain: str) -> Provider | None:
    """The provider a consumer domain belongs to; None for other domains."""
    domain = domain.lower()
    if domain in _GMAIL_DOMAINS:
        return "gmail"
    if _OUTLOOK_DOMAIN.fullmatch(domain):
        return "outlook"
    return None


def mailbox_key(address: Address, provider: Provider | None = None) -> str:
    """The spelling the mailbox's provider delivers to (see the module docstring).

    ``provider`` names the provider hosting a domain of your own (Google
    Workspace, Microsoft 365); consumer domains are recognised by name.
    """
    consumer = provider_of(address.domain)
    effective = consumer or provider
    local, domain = address.local, address.domain
    if effective is None:
        return f"{local}@{domain}"
    local = local.split("+", 1)[0].lower()
    if consumer == "gmail":
        return f"{local.replace('.', '')}@gmail.com"
    return f"{local}@{domain}"


def equivalent(a: str | Address, b: str | Address, provider: Provider | None = None) -> bool:
    """True when ``a`` and ``b`` reach the same mailbox; an invalid address matches nothing."""
    first = parse_address(a) if isinstance(a, str) else a
    second = parse_address(b) if isinstance(b, str) else b
    if isinstance(first, InvalidAddress) or isinstance(second, InvalidAddress):
        return False
    return mailbox_key(first, provider) == mailbox_key(second, provider)


def _unquote(local: str) -> str:
    if len(local) >= 2 and local[0] == local[-1] == '"':
        return re.sub(r"\\(.)", r"\1", local[1:-1])
    return local


def _escape(local: str) -> str:
    return local.replace("\\", "\\\\").replace('"', '\\"')


def _locate_problem(value: str) -> tuple[str, int | None]:
    """Find what the parser rejected, as (reason, position in ``value``); best effort."""
    if not value.strip():
        return "the address is empty", None
    control = next((i for i, c in enumerate(value.strip()) if ord(c) < 32 or ord(c) == 127), None)
    if control is not None:
        return "a line break or control character", control + len(value) - len(value.lstrip())
    opening, closing = value.rfind("<"), value.rfind(">")
    if closing >= 0 and opening < 0:
        return "'>' without '<'", closing
    if opening > closing:
        return "'<' is never closed", opening
    trailing = value[closing + 1 :] if closing >= 0 else ""
    if trailing.strip():
        return "text after '>'", closing + 1 + len(trailing) - len(trailing.lstrip())
    start = opening + 1 if opening >= 0 else len(value) - len(value.lstrip())
    spec = value[start:closing] if opening >= 0 else value.strip()
    comma = _unquoted(spec, ",")
    if comma is not None:
        return "a comma: give one address only", start + comma
    at = _unquoted(spec, "@")
    if at is None:
        return "there is no '@'", start + len(spec)
    if at == 0:
        return "nothing comes before '@'", start
    found = _local_problem(spec[:at]) or _domain_problem(spec[at + 1 :], at + 1)
    if found is not None:
        reason, offset = found
        return reason, start + offset
    return "the parser could not read it", None


def _unquoted(spec: str, wanted: str) -> int | None:
    """The index of the first ``wanted`` outside double quotes, or None."""
    quoted = False
    for index, char in enumerate(spec):
        if char == '"':
            quoted = not quoted
        elif char == wanted and not quoted:
            return index
    return None


def _local_problem(local: str) -> tuple[str, int] | None:
    if local.startswith('"'):
        return None
    if local.startswith("."):
        return "the local part starts with '.'", 0
    if local.endswith("."):
        return "the local part ends with '.'", len(local) - 1
    if ".." in local:
        return "two dots in a row in the local part", local.index("..")
    for index, char in enumerate(local):
        if char not in _ATEXT and char != ".":
            return f"{char!r} is not allowed in an unquoted local part", index
    return None


def _domain_problem(domain: str, offset: int) -> tuple[str, int] | None:
    if not domain:
        return "nothing comes after '@'", offset
    if "@" in domain:
        return "a second '@'", offset + domain.index("@")
    position = offset
    for label in domain.split("."):
        if not label:
            return "an empty label in the domain (two dots, or a dot at an end)", position
        if label.startswith("-") or label.endswith("-"):
            return "a domain label starts or ends with '-'", position
        for index, char in enumerate(label):
            if not (char.isalnum() or char == "-"):
                return f"{char!r} is not allowed in a domain", position + index
        position += len(label) + 1
    return None
