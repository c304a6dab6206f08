"""Inbox sources: where inbound mail comes from (see replytrack.protocols.InboxSource)."""

from replytrack.sources.mailbox import MaildirSource, MboxSource
from replytrack.sources.memory import MemorySource

__all__ = ["MaildirSource", "MboxSource", "MemorySource"]
