"""Tell human replies from automatic mail (placeholder: a simple header check)."""

from __future__ import annotations

from datetime import date

import attrs

from replytrack.message import RawMessage
from replytrack.models import MessageKind

__all__ = ["MessageKind", "Verdict", "classify"]


@attrs.frozen(kw_only=True)
class Verdict:
    """What a message is, the rule codes that decided it, and details."""

    kind: MessageKind
    reasons: tuple[str, ...] = ()
    subtype: str | None = None
    return_date: date | None = None


def classify(message: bytes | RawMessage) -> Verdict:
    """Classify one message (raw bytes, or the RawMessage the engine already has)."""
    msg = message if isinstance(message, RawMessage) else RawMessage(message)
    auto = (msg.get("auto-submitted") or "no").split(";")[0].strip().lower()
    if auto != "no":
        return Verdict(kind=MessageKind.AUTO_REPLY, reasons=(f"header:auto-submitted={auto}",))
    if "list-id" in msg:
        return Verdict(kind=MessageKind.BULK, reasons=("header:list-id",))
    return Verdict(kind=MessageKind.HUMAN)
