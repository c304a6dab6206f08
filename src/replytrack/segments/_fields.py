"""The fields a segment may name: replytrack's own and the integrator's declared properties.

A contact's values are read through :func:`segment_values`, the one definition
both the in-memory evaluator and the SQL stores' search columns use: text is
Unicode-casefolded, properties go through a JSON round trip (what a SQL store
keeps), and a value that is not finite, or not of a JSON type, is unknown.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import attrs

from replytrack.errors import ConfigurationError
from replytrack.models import Contact

if TYPE_CHECKING:
    from replytrack.segments._segment import Segment

__all__ = [
    "BUILTIN",
    "CONTACT_FIELDS",
    "RESERVED",
    "FieldType",
    "Schema",
    "SegmentValues",
    "closest",
    "fold",
    "segment_values",
    "typed_key",
]

FieldType = Literal["text", "number", "boolean", "time"]
PROPERTY_TYPES: tuple[FieldType, ...] = ("text", "number", "boolean")

#: replytrack's own fields: the contact's, then the reply facts kept per contact
BUILTIN: Mapping[str, FieldType] = MappingProxyType(
    {
        "owner": "text",
        "email": "text",
        "email_domain": "text",
        "first_reply_at": "time",
        "last_reply_at": "time",
        "reply_count": "number",
        "emails_replied": "number",
    }
)
CONTACT_FIELDS = ("owner", "email", "email_domain")
#: words that start a condition, so no property may be called so
RESERVED = frozenset({"and", "or", "not", "replied", "sent"})
_EXACT = 2**53


def fold(value: str) -> str:
    """Text as segments compare it: Unicode case folding (``"Straße"`` equals ``"STRASSE"``)."""
    return value.casefold()


def closest(word: str, choices: Any) -> str | None:
    """The choice ``word`` most likely misspells, or None."""
    choices = list(choices)
    for choice in choices:
        if choice.casefold() == word.casefold():
            return str(choice)
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None


def _checked_properties(value: Mapping[str, str]) -> Mapping[str, FieldType]:
    checked: dict[str, FieldType] = {}
    for name, kind in value.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigurationError(
                f"property name {name!r} is not a name: use letters, digits and underscores"
            )
        if name.lower() in RESERVED or name in BUILTIN:
            raise ConfigurationError(
                f"property name {name!r} is taken by the segment language; rename it"
            )
        if kind not in PROPERTY_TYPES:
            hint = closest(str(kind), PROPERTY_TYPES)
            also = f"; did you mean {hint!r}?" if hint else ""
            raise ConfigurationError(
                f"property {name!r} has type {kind!r}; a property is"
                f" 'text', 'number' or 'boolean'{also}"
            )
        checked[name] = kind
    return MappingProxyType(dict(sorted(checked.items())))


@attrs.frozen
class Schema:
    """The contact properties segments may name, each with its type.

    ``Schema({"lifecycle_stage": "text", "score": "number", "vip": "boolean"})``.
    A type is ``"text"``, ``"number"`` or ``"boolean"``; a contact whose value
    is of another type (or absent, or None) has the property unknown.
    """

    properties: Mapping[str, FieldType] = attrs.field(factory=dict, converter=_checked_properties)

    def type_of(self, name: str) -> FieldType | None:
        """The type of a field (replytrack's or a property), or None when unknown."""
        return BUILTIN.get(name) or self.properties.get(name)

    def names(self) -> list[str]:
        """Every field name a segment may use."""
        return [*BUILTIN, *self.properties]

    def parse(
        self, text: str, *, tz: str = "UTC", emails: Collection[str] | None = None
    ) -> Segment:
        """:func:`replytrack.segments.parse` with these properties."""
        from replytrack.segments._segment import parse

        return parse(text, tz=tz, properties=self, emails=emails)


@attrs.frozen
class SegmentValues:
    """A contact's values as segments see them: folded text, JSON-typed properties."""

    owner: str | None
    email: str | None
    email_domain: str | None
    properties: Mapping[str, Any]

    def get(self, name: str) -> Any:
        if name in CONTACT_FIELDS:
            return getattr(self, name)
        return self.properties.get(name)

    def properties_json(self) -> str:
        """The properties as the SQL stores keep them for segments: each under a key that
        names its type (:func:`typed_key`), so SQL reads a value once, without a type test."""
        typed = {typed_key(k, _type_of(v)): v for k, v in self.properties.items()}
        return json.dumps(typed, sort_keys=True, ensure_ascii=False)


def segment_values(contact: Contact) -> SegmentValues:
    """What segments compare for ``contact`` (see the module docstring)."""
    email = contact.emails[0] if contact.emails else None
    domain = email.rpartition("@")[2] if email and "@" in email else None
    raw = (
        json.loads(json.dumps(dict(contact.properties), default=str)) if contact.properties else {}
    )
    properties = {k: _folded(v) for k, v in raw.items() if _scalar(v)}
    return SegmentValues(
        owner=fold(contact.owner_id) if contact.owner_id else None,
        email=fold(email) if email else None,
        email_domain=fold(domain) if domain else None,
        properties=properties,
    )


def typed_key(name: str, kind: FieldType) -> str:
    """The key of a property's value in the stores' search column: ``"n:score"``."""
    return f"{kind[0]}:{name}"


def _type_of(value: Any) -> FieldType:
    if isinstance(value, bool):
        return "boolean"
    return "text" if isinstance(value, str) else "number"


def _scalar(value: Any) -> bool:
    """Text, a boolean, or a finite number that a double holds exactly (as SQL compares it)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= _EXACT
    return isinstance(value, str | bool)


def _folded(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value
