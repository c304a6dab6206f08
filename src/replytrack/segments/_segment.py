"""A parsed segment: its condition, its time zone and the properties it may name."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import attrs

from replytrack.errors import ConfigurationError
from replytrack.segments import _ast as a
from replytrack.segments._fields import BUILTIN, CONTACT_FIELDS, Schema, closest
from replytrack.segments._parser import parse_expression

__all__ = ["Segment", "parse", "zone"]


@functools.lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ConfigurationError with the closest name otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = closest(name, sorted(available_timezones()))
        also = f"; did you mean {hint!r}?" if hint else ""
        raise ConfigurationError(f"unknown time zone {name!r}{also}") from None


def _schema(value: Schema | Mapping[str, str] | None) -> Schema:
    if isinstance(value, Schema):
        return value
    return Schema(value or {})


@attrs.frozen
class Segment:
    """A segment: which contacts belong, as a condition over their fields and reply facts.

    Build it with :func:`parse`. ``str(segment)`` is the canonical text of the
    condition. ``tz`` is the IANA time zone of its dates, ``today`` and
    ``yesterday``.
    """

    expr: a.Node
    tz: str = attrs.field(default="UTC")
    schema: Schema = attrs.field(factory=Schema, converter=_schema)
    _needs: frozenset[str] = attrs.field(init=False, eq=False, repr=False, hash=False)

    @tz.validator
    def _known_zone(self, _attribute: object, value: str) -> None:
        zone(value)

    def __str__(self) -> str:
        return str(self.expr)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.tz)

    @property
    def emails(self) -> frozenset[str]:
        """The email ids the segment names."""
        found: set[str] = set()
        for node in a.walk(self.expr):
            if isinstance(node, a.Replied | a.Sent) and node.emails is not None:
                found.update(node.emails)
        return frozenset(found)

    @property
    def depends_on(self) -> frozenset[str]:
        """What a contact's membership can change with: ``contact`` (its fields),
        ``replies``, ``sends`` and ``clock`` (rolling windows, today, yesterday)."""
        return self._needs

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_needs", _dependencies(self.expr))


def _dependencies(expr: a.Node) -> frozenset[str]:
    found: set[str] = set()
    for node in a.walk(expr):
        if isinstance(node, a.Replied):
            found.add("replies")
        elif isinstance(node, a.Sent):
            found.add("sends")
        field = getattr(node, "field", None)
        if field in CONTACT_FIELDS or (field and field not in BUILTIN):
            found.add("contact")
        elif field:
            found.add("replies")
        if _relative(node):
            found.add("clock")
    return frozenset(found)


def _relative(node: a.Node) -> bool:
    """True when the node's truth can change with the clock alone."""
    window = getattr(node, "window", None) or getattr(node, "range", None)
    if window is None:
        return False
    if isinstance(window, a.Within | a.Ago):
        return True
    moments = [getattr(window, n, None) for n in ("at", "day", "start", "end")]
    return any(isinstance(m, a.Day) and m.value is None for m in moments)


def parse(
    text: str,
    *,
    tz: str = "UTC",
    properties: Schema | Mapping[str, str] | None = None,
    emails: Collection[str] | None = None,
) -> Segment:
    """Parse a segment.

    Args:
        text: the condition, e.g. ``replied to "spring" and owner = "alice"``.
        tz: the IANA time zone of its dates, ``today`` and ``yesterday``.
        properties: the contact properties it may name, with their types (a
            :class:`Schema` or a mapping such as ``{"lifecycle_stage": "text"}``).
        emails: the email ids that exist; when given, any other id is an error.

    Raises:
        SegmentSyntaxError: the text is not a valid segment (the message says where and why).
        ConfigurationError: an unknown time zone or a bad property declaration.
    """
    schema = _schema(properties)
    zone(tz)
    return Segment(parse_expression(text, schema, emails), tz=tz, schema=schema)
