"""``imap://`` source specs: where a connected mailbox is, never its credentials.

``imap://LOGIN@HOST[:PORT][/FOLDER[,FOLDER...]][?OPTIONS]``, the login percent-encoded
where it must be (``@`` may stay: the host follows the last one). Options:
``security`` (tls, starttls, plain), ``auth`` (password, xoauth2), ``password_env`` (the
variable holding the password, default ``REPLYTRACK_IMAP_PASSWORD``), ``token_env`` or
``token_file`` (where the current OAuth access token is, re-read on every login: keep it
fresh with your OAuth client), ``inbox`` (the inbox id named in errors), ``rescan_days``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from replytrack.errors import ConfigurationError

if TYPE_CHECKING:
    from replytrack.sources.imap import ImapSource

__all__ = ["imap_from_spec"]

_OPTIONS = {
    "security",
    "auth",
    "password_env",
    "token_env",
    "token_file",
    "inbox",
    "rescan_days",
}


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigurationError(f"imap source: the environment variable {name} is not set")
    return value


class _TokenFrom:
    """A token provider reading the token from a variable or a file at every login."""

    def __init__(self, env: str | None, file: str | None) -> None:
        self.env, self.file = env, file

    def __call__(self, *, refresh: bool) -> str:
        if self.file is not None:
            return Path(self.file).expanduser().read_text().strip()
        assert self.env is not None
        return _env(self.env)

    def __repr__(self) -> str:
        return f"token from {self.file or '$' + (self.env or '')}"


def imap_from_spec(rest: str) -> ImapSource:
    """The ImapSource of a spec's part after ``imap:``."""
    from replytrack.sources.imap import ImapSource

    parts = urlsplit("imap:" + (rest if rest.startswith("//") else "//" + rest))
    if not parts.hostname or not parts.username:
        raise ConfigurationError(f"imap source {rest!r}: write imap://LOGIN@HOST[:PORT][/FOLDER]")
    options = dict(parse_qsl(parts.query))
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ConfigurationError(
            f"imap source: unknown option(s) {', '.join(sorted(unknown))};"
            f" known: {', '.join(sorted(_OPTIONS))}"
        )
    folders = [unquote(f) for f in parts.path.strip("/").split(",") if f] or ["INBOX"]
    settings: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port,
        "username": unquote(parts.username),
        "folders": folders,
        "security": options.get("security", "tls"),
        "inbox_id": options.get("inbox"),
    }
    if "rescan_days" in options:
        settings["rescan_days"] = int(options["rescan_days"])
    auth = options.get("auth", "password")
    if auth == "password":
        settings["password"] = _env(options.get("password_env", "REPLYTRACK_IMAP_PASSWORD"))
    elif auth == "xoauth2":
        file = options.get("token_file")
        env = None if file else options.get("token_env", "REPLYTRACK_IMAP_TOKEN")
        settings["token_provider"] = _TokenFrom(env, file)
    else:
        raise ConfigurationError(f"imap source: auth must be password or xoauth2, got {auth!r}")
    return ImapSource(**settings)
