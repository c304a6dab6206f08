"""Source specs: a mailbox named in one string, so a connected inbox can keep where it is
read from (``maildir:/srv/mail/sales``, ``mbox:/var/mail/sales``) and ``sync`` can open it
later. A spec holds no credentials: a source that needs them reads its own settings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from replytrack.errors import ConfigurationError, SourceError
from replytrack.protocols import InboxSource, Store
from replytrack.sources.eml import EmlSource
from replytrack.sources.mailbox import MaildirSource, MboxSource

__all__ = [
    "SCHEMES",
    "inbox_source",
    "open_source",
    "save_inbox_source",
    "source_for_path",
    "source_spec",
]


def _imap(rest: str) -> InboxSource:
    """An IMAP mailbox (``imap://LOGIN@HOST/FOLDER?...``, see replytrack.sources._imap_spec);
    imported only when named, as it needs the ``imap`` extra."""
    try:
        from replytrack.sources._imap_spec import imap_from_spec
    except ImportError as exc:
        raise ConfigurationError(
            f"imap sources need IMAPClient ({exc.name} is missing): pip install 'replytrack[imap]'"
        ) from exc
    return imap_from_spec(rest)


#: spec scheme -> the source it opens (another source registers itself here by name)
SCHEMES: dict[str, Callable[[str], InboxSource]] = {
    "mbox": MboxSource,
    "maildir": MaildirSource,
    "eml": EmlSource.folder,
    "imap": _imap,
}


def source_spec(scheme: str, location: str | Path) -> str:
    """The spec of a local mailbox, its path made absolute: ``maildir:/abs/path``."""
    if scheme not in SCHEMES:
        raise ConfigurationError(f"unknown source kind {scheme!r}: {', '.join(SCHEMES)}")
    return f"{scheme}:{Path(location).expanduser().resolve()}"


# The spec is kept in the store's cursor table, under a key no source uses, so that any
# Store keeps it with no schema change.
_SPEC_KEY = "replytrack:inbox-source:{}"


def save_inbox_source(store: Store, tenant: str, inbox_id: str, spec: str) -> None:
    """Remember where an inbox is read from (``sync`` opens it); checked first. A source
    that takes a baseline (IMAP) takes it now, unless it has a cursor: mail already in the
    mailbox is then never read."""
    source = open_source(spec)
    baseline = getattr(source, "baseline", None)
    if callable(baseline) and store.get_cursor(tenant, source.key) is None:
        store.set_cursor(tenant, source.key, baseline())
    store.set_cursor(tenant, _SPEC_KEY.format(inbox_id), spec)


def inbox_source(store: Store, tenant: str, inbox_id: str) -> str | None:
    """The spec saved for an inbox, or None."""
    return store.get_cursor(tenant, _SPEC_KEY.format(inbox_id)) or None


def open_source(spec: str) -> InboxSource:
    """The source a spec names; ConfigurationError for a spec that names none."""
    scheme, sep, rest = spec.partition(":")
    if not sep or scheme not in SCHEMES or not rest:
        raise ConfigurationError(
            f"source {spec!r} is not one of {', '.join(s + ':PATH' for s in SCHEMES)}"
        )
    return SCHEMES[scheme](rest)


def source_for_path(path: str | Path) -> InboxSource:
    """A local mailbox by its shape: a Maildir (a folder with cur/ or new/), a folder of
    ``.eml`` files, an mbox file (it starts with a ``From `` line) or one message file."""
    path = Path(path)
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            return MaildirSource(path)
        return EmlSource.folder(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
    if head == b"From ":
        return MboxSource(path)
    return EmlSource([path], name=f"eml:{path.resolve()}")
