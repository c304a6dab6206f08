"""Bounds on the work one message may cause, checked before the work is done.

Anyone can send mail to a connected inbox, so every size and count the scanner,
the MIME walker, the classifier and correlation read from a message is bounded.
Past a bound the rest is not read (the message is still classified and matched
on what was read), except the header block: a message whose headers exceed
``header_bytes`` is MALFORMED.

A :class:`~replytrack.message.RawMessage` carries the limits it was built with,
and everything that reads it uses them; :data:`DEFAULT_LIMITS` when none are given.
"""

from __future__ import annotations

from typing import Any

import attrs

from replytrack.errors import ConfigurationError

__all__ = ["DEFAULT_LIMITS", "Limits"]


def _positive(_instance: Any, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(f"Limits.{attribute.name} must be a positive int, got {value!r}")


@attrs.frozen(kw_only=True)
class Limits:
    """The most of each thing read from one message. The defaults fit all real mail seen.

    * ``header_bytes``: the header block (every field, as received). Beyond it the
      message is MALFORMED: 1 MiB is far past any mail system's own limit.
    * ``ids_per_header``: Message-IDs read from one In-Reply-To or References value:
      the first ones of In-Reply-To, the last (newest) ones of References.
    * ``mime_depth``: multipart levels the walker descends to find the text part;
      deeper parts are not read (real mail nests 4 at most: signed, mixed,
      related, alternative).
    * ``mime_parts``: body parts the walker looks at, all levels together, to find
      the text part (nearly always the first or second).
    * ``encoded_words``: RFC 2047 encoded words decoded in one header value; any
      after that are kept as written.
    * ``body_bytes``: bytes of the body searched for MIME delimiters, report parts
      and a bounce's returned headers. The text part itself is read up to a
      smaller, fixed size (16 KiB).
    """

    header_bytes: int = attrs.field(default=1 << 20, validator=_positive)
    ids_per_header: int = attrs.field(default=500, validator=_positive)
    mime_depth: int = attrs.field(default=8, validator=_positive)
    mime_parts: int = attrs.field(default=100, validator=_positive)
    encoded_words: int = attrs.field(default=100, validator=_positive)
    body_bytes: int = attrs.field(default=1 << 20, validator=_positive)


DEFAULT_LIMITS = Limits()
