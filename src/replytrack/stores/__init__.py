"""Stores: where records live (see replytrack.protocols.Store)."""

from replytrack.stores.memory import MemoryStore

__all__ = ["MemoryStore"]
