"""The public API is small and pinned: a change to it is a deliberate change to this list."""

from __future__ import annotations

import replytrack

EXPECTED = [
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


def test_the_exported_names_are_exactly_the_pinned_list() -> None:
    assert replytrack.__all__ == EXPECTED


def test_all_is_sorted() -> None:
    assert replytrack.__all__ == sorted(replytrack.__all__)


def test_every_exported_name_exists() -> None:
    assert [name for name in replytrack.__all__ if not hasattr(replytrack, name)] == []


def test_every_error_derives_from_the_one_root() -> None:
    errors = [getattr(replytrack.errors, n) for n in replytrack.errors.__all__]
    assert all(issubclass(e, replytrack.ReplytrackError) for e in errors)


def test_errors_also_speak_builtin() -> None:
    assert issubclass(replytrack.ConfigurationError, ValueError)
    assert issubclass(replytrack.UnknownInboxError, LookupError)
    assert issubclass(replytrack.StoreConnectionError, ConnectionError)
    assert issubclass(replytrack.MissingDriverError, ImportError)


def test_the_package_is_typed() -> None:
    from importlib.resources import files

    assert files("replytrack").joinpath("py.typed").is_file()


def test_the_version_comes_from_the_installed_metadata() -> None:
    from importlib.metadata import version

    assert replytrack.__version__ == version("replytrack")
