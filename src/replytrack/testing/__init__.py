"""Test helpers shipped for integrators: message factories, the store contract, a state machine.

``StoreContract`` and ``StoreStateMachine`` need pytest and Hypothesis (the
``test`` extra); they are imported on first use so that importing the
factories never requires them.
"""

from __future__ import annotations

from typing import Any

from replytrack.testing.factories import make_message, make_reply, make_send

__all__ = [
    "SegmentContract",
    "StoreContract",
    "make_message",
    "make_reply",
    "make_send",
    "store_state_machine",
]

_LAZY = {
    "SegmentContract": "replytrack.testing.segments",
    "StoreContract": "replytrack.testing.contract",
    "store_state_machine": "replytrack.testing.stateful",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'replytrack.testing' has no attribute {name!r}")
    try:
        module = __import__(module_name, fromlist=[name])
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"replytrack.testing.{name} needs pytest and hypothesis: pip install 'replytrack[test]'"
        ) from exc
    return getattr(module, name)
