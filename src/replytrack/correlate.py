"""Tie each inbound message to the one send it answers, or to none, and say why.

Strategies, strongest first; a later one never beats an earlier one:

1. ``TOKEN`` (confidence 1.0): our signed Message-ID in In-Reply-To or
   References, verified by its MAC (forged, altered or other tenants' tokens
   never verify, and are not looked up);
2. ``MESSAGE_ID`` (0.95): a Message-ID we sent, or the provider's rewrite of it
   recorded by the integrator, found in the threading headers (store lookup of
   every id, not only the last).

All lookups for a batch of messages are made at once: one ``get_sends`` and one
``find_sends_by_message_id`` per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from replytrack.headers import TokenSigner, looks_like_token, thread_ids
from replytrack.message import RawMessage
from replytrack.models import MatchStrategy, Send
from replytrack.protocols import Store

__all__ = ["CONFIDENCE", "Correlator", "Match"]

CONFIDENCE = {
    MatchStrategy.TOKEN: 1.0,
    MatchStrategy.MESSAGE_ID: 0.95,
    MatchStrategy.FALLBACK: 0.6,
    MatchStrategy.MANUAL: 1.0,
}


@attrs.frozen(kw_only=True)
class Match:
    """The send a message answers, how it was found, and the other sends it could have been."""

    send: Send
    strategy: MatchStrategy
    matched_id: str | None
    candidates: tuple[str, ...] = ()

    @property
    def confidence(self) -> float:
        return CONFIDENCE[self.strategy]

    def explain(self) -> str:
        """One sentence for a person: which strategy, on what, with which alternatives."""
        on = f" on {self.matched_id}" if self.matched_id else ""
        others = f"; other candidates: {', '.join(self.candidates)}" if self.candidates else ""
        return (
            f"matched send {self.send.id} by {self.strategy.value}{on} "
            f"(confidence {self.confidence:.2f}){others}"
        )


@attrs.define
class Correlator:
    """Header correlation for one tenant of one store."""

    store: Store
    signer: TokenSigner

    def correlate_many(self, messages: Sequence[RawMessage]) -> list[Match | None]:
        """A Match (or None) per message, with two store lookups for the whole batch."""
        tenant = self.signer.tenant
        per_message: list[list[tuple[str, str | None]]] = []
        send_ids: set[str] = set()
        plain_ids: set[str] = set()
        for msg in messages:
            ids = thread_ids(msg.get_all("in-reply-to"), msg.get_all("references"))
            resolved: list[tuple[str, str | None]] = []
            for msg_id in ids:
                if looks_like_token(msg_id):
                    send_id = self.signer.verify(msg_id)
                    if send_id is not None:
                        send_ids.add(send_id)
                    resolved.append((msg_id, send_id))
                else:
                    plain_ids.add(msg_id)
                    resolved.append((msg_id, None))
            per_message.append(resolved)
        by_send = self.store.get_sends(tenant, send_ids) if send_ids else {}
        by_msg = self.store.find_sends_by_message_id(tenant, plain_ids) if plain_ids else {}
        return [_pick(resolved, by_send, by_msg) for resolved in per_message]


def _pick(
    resolved: list[tuple[str, str | None]], by_send: dict[str, Send], by_msg: dict[str, Send]
) -> Match | None:
    hits: list[tuple[MatchStrategy, str, Send]] = []
    for msg_id, send_id in resolved:
        if send_id is not None and send_id in by_send:
            hits.append((MatchStrategy.TOKEN, msg_id, by_send[send_id]))
        elif msg_id in by_msg:
            hits.append((MatchStrategy.MESSAGE_ID, msg_id, by_msg[msg_id]))
    if not hits:
        return None
    hits.sort(key=lambda hit: hit[0] is not MatchStrategy.TOKEN)  # stable: thread order kept
    strategy, msg_id, send = hits[0]
    others = tuple(dict.fromkeys(s.id for _, _, s in hits[1:] if s.id != send.id))
    return Match(send=send, strategy=strategy, matched_id=msg_id, candidates=others)
