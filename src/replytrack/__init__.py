"""replytrack: tell a CRM which contacts replied to its marketing emails."""

import logging
from importlib.metadata import PackageNotFoundError, version

from replytrack.autoreply import Verdict, classify
from replytrack.correlate import Match
from replytrack.errors import (
    ConfigurationError,
    ConflictError,
    HeaderError,
    InvalidAddressError,
    MalformedMessageError,
    MissingDriverError,
    NotFoundError,
    ReplytrackError,
    SchemaVersionError,
    SegmentSyntaxError,
    SourceError,
    StoreConnectionError,
    StoreError,
    UnknownInboxError,
)
from replytrack.events import ReplyEvent, SubscriberError
from replytrack.limits import Limits
from replytrack.models import (
    Contact,
    DeliveryStatus,
    Inbox,
    MarketingEmail,
    MatchStrategy,
    MessageKind,
    Quarantined,
    Reply,
    ReplyTo,
    ReplyToMode,
    Send,
)
from replytrack.pipeline import ContactResolver, IngestResult, Outcome, SyncSummary
from replytrack.protocols import InboxSource, SharedStore, SourceMessage, Store
from replytrack.replyto import (
    PlannedSend,
    Problem,
    ProblemCode,
    Resolution,
    SendPlan,
    ValidationReport,
)
from replytrack.reports import ContactProperties, EmailReport, TimelineEntry
from replytrack.sources import MaildirSource, MboxSource, MemorySource
from replytrack.stores import MemoryStore, open_store
from replytrack.stores.sqlite import SQLiteStore
from replytrack.tracker import Tracker

# The library logs (quarantined messages, failing subscribers) and never prints: what is
# shown, and where, is the application's choice.
logging.getLogger("replytrack").addHandler(logging.NullHandler())

try:
    __version__ = version("replytrack")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "Contact",
    "ContactProperties",
    "ContactResolver",
    "DeliveryStatus",
    "EmailReport",
    "HeaderError",
    "Inbox",
    "InboxSource",
    "IngestResult",
    "InvalidAddressError",
    "Limits",
    "MaildirSource",
    "MalformedMessageError",
    "MarketingEmail",
    "Match",
    "MatchStrategy",
    "MboxSource",
    "MemorySource",
    "MemoryStore",
    "MessageKind",
    "MissingDriverError",
    "NotFoundError",
    "Outcome",
    "PlannedSend",
    "Problem",
    "ProblemCode",
    "Quarantined",
    "Reply",
    "ReplyEvent",
    "ReplyTo",
    "ReplyToMode",
    "ReplytrackError",
    "Resolution",
    "SQLiteStore",
    "SchemaVersionError",
    "SegmentSyntaxError",
    "Send",
    "SendPlan",
    "SharedStore",
    "SourceError",
    "SourceMessage",
    "Store",
    "StoreConnectionError",
    "StoreError",
    "SubscriberError",
    "SyncSummary",
    "TimelineEntry",
    "Tracker",
    "UnknownInboxError",
    "ValidationReport",
    "Verdict",
    "__version__",
    "classify",
    "open_store",
]
