"""Which subtypes belong to which kind: what an override (``Tracker.reclassify``,
``Store.set_reply_kind``) may set, checked before anything changes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from replytrack._autoreply_tables import Subtype
from replytrack.errors import ConfigurationError
from replytrack.models import MessageKind

__all__ = ["SUBTYPES_OF", "check_kind"]

#: the subtypes the classifier gives each kind (None is valid for every kind)
SUBTYPES_OF: Mapping[MessageKind, frozenset[str]] = MappingProxyType(
    {
        MessageKind.HUMAN: frozenset(),
        MessageKind.AUTO_REPLY: frozenset(
            {
                Subtype.OUT_OF_OFFICE,
                Subtype.AUTO_ACK,
                Subtype.CHALLENGE_RESPONSE,
                Subtype.LEFT_COMPANY,
            }
        ),
        MessageKind.BOUNCE: frozenset({Subtype.HARD, Subtype.SOFT}),
        MessageKind.RECEIPT: frozenset({Subtype.READ, Subtype.DELIVERED}),
        MessageKind.BULK: frozenset({Subtype.LIST, Subtype.NOTIFICATION, Subtype.COMPLAINT}),
    }
)


def _listed(values: frozenset[str]) -> str:
    return ", ".join(sorted(str(v) for v in values))


def check_kind(kind: object, subtype: object) -> tuple[MessageKind, str | None]:
    """``(kind, subtype)`` when the kind is a MessageKind and the subtype (a str or None)
    is one of its subtypes; ConfigurationError naming the valid values otherwise."""
    if not isinstance(kind, MessageKind):
        names = ", ".join(f"MessageKind.{k.name}" for k in MessageKind)
        hint = ""
        if isinstance(kind, str) and kind.lower() in {k.value for k in MessageKind}:
            hint = (
                f" (MessageKind({kind.lower()!r}) is MessageKind.{MessageKind(kind.lower()).name})"
            )
        raise ConfigurationError(
            f"kind must be a MessageKind, got {type(kind).__name__} {kind!r}{hint}; kinds: {names}"
        )
    if subtype is None:
        return kind, None
    valid = SUBTYPES_OF[kind]
    if not isinstance(subtype, str) or subtype not in valid:
        owner = next(
            (k for k, subs in SUBTYPES_OF.items() if isinstance(subtype, str) and subtype in subs),
            None,
        )
        where = f" ({subtype!r} is a subtype of {owner.name})" if owner is not None else ""
        allowed = f"subtypes: {_listed(valid)} or None" if valid else "no subtype, only None"
        raise ConfigurationError(
            f"subtype {subtype!r} does not belong to {kind.name}{where}; {kind.name} takes {allowed}"
        )
    return kind, str(subtype)
