"""Stores: where records live (see replytrack.protocols.Store).

Build a store explicitly (``SQLiteStore(path)``, ``PostgresStore(dsn)``,
``MemoryStore()``) or from a URL with :func:`open_store`. The SQL stores are
imported on first use, so a missing optional driver only matters to its URL.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from replytrack.errors import ConfigurationError, MissingDriverError
from replytrack.stores.memory import MemoryStore

if TYPE_CHECKING:
    from replytrack.protocols import Store
    from replytrack.stores.postgres import PostgresStore
    from replytrack.stores.sqlite import SQLiteStore

__all__ = ["MemoryStore", "PostgresStore", "SQLiteStore", "open_store"]

_LAZY = {
    "SQLiteStore": ("replytrack.stores.sqlite", None),
    "PostgresStore": ("replytrack.stores.postgres", "postgres"),
}


def _load(name: str) -> Any:
    module_name, extra = _LAZY[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if extra is None or module_name == exc.name:
            raise
        raise MissingDriverError(
            f"{name} needs the {exc.name!r} package: pip install 'replytrack[{extra}]'"
        ) from exc
    return getattr(module, name)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _load(name)
    raise AttributeError(f"module 'replytrack.stores' has no attribute {name!r}")


def open_store(url: str) -> Store:
    """A store from a URL, in SQLAlchemy's grammar:

    * ``memory://``: a MemoryStore;
    * ``sqlite:///replies.db`` (three slashes): a file relative to the working folder;
      ``sqlite:////var/lib/crm/replies.db`` (four): an absolute path; ``~`` is expanded;
      ``?timeout=5`` sets how many seconds to wait for another process's lock;
    * ``postgresql://user@host:5432/db`` (``postgres://`` too), with libpq's parameters
      (``?connect_timeout=5&sslmode=require``).

    Raises ConfigurationError naming what is wrong (an unknown scheme, a missing or
    extra slash, a folder that does not exist, an unknown parameter), and
    MissingDriverError (naming the extra to install) when the driver is missing.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ConfigurationError(_no_scheme(url))
    if scheme == "memory":
        if rest:
            raise ConfigurationError(f"store URL {url!r}: memory:// takes nothing after it")
        return MemoryStore()
    if scheme == "sqlite":
        path, timeout = _sqlite_target(url, rest)
        store: Store = _load("SQLiteStore")(path, timeout=timeout)
        return store
    if scheme in ("postgresql", "postgres"):
        store = _load("PostgresStore")(f"postgresql://{rest}")
        return store
    raise ConfigurationError(
        f"unknown store URL scheme {scheme!r} in {_shown(url)!r}; "
        "use memory://, sqlite:/// or postgresql://"
    )


def _no_scheme(url: str) -> str:
    scheme, colon, rest = url.partition(":")
    if colon and scheme.lower() in ("sqlite", "memory", "postgresql", "postgres"):
        fixed = f"{scheme}:///{rest.lstrip('/')}" if scheme.lower() == "sqlite" else f"{scheme}://"
        return f"store URL {url!r} lacks '//' after '{scheme}:'; did you mean {fixed!r}?"
    return f"store URL {url!r} has no scheme; try 'sqlite:///replies.db' or 'memory://'"


def _sqlite_target(url: str, rest: str) -> tuple[Path, float]:
    """The file and lock timeout of ``sqlite://`` + ``rest``, checked as far as it can be."""
    location, _, query = rest.partition("?")
    if not location.startswith("/"):
        where = f"a host ({location!r})" if location else "no file"
        raise ConfigurationError(
            f"store URL {url!r} names {where}; a SQLite URL has three slashes and a path: "
            "'sqlite:///replies.db' (relative) or 'sqlite:////abs/replies.db' (absolute); "
            "an in-memory store is 'memory://'"
        )
    raw = location[1:]
    if not raw:
        raise ConfigurationError(f"store URL {url!r} names no file: 'sqlite:///replies.db'")
    path = Path(raw).expanduser()
    folder = path.parent
    if not folder.is_dir():
        hint = ""
        if not raw.startswith(("/", "~")) and Path("/", raw).parent.is_dir():
            hint = f"; for the absolute path /{raw} use four slashes: 'sqlite:////{raw}'"
        raise ConfigurationError(
            f"store URL {url!r}: the folder {str(folder)!r} does not exist "
            f"(three slashes are relative to {os.getcwd()!r}){hint}"
        )
    return path, _sqlite_timeout(url, query)


def _sqlite_timeout(url: str, query: str) -> float:
    params = parse_qs(query, keep_blank_values=True, strict_parsing=False) if query else {}
    unknown = sorted(set(params) - {"timeout"})
    if unknown:
        raise ConfigurationError(
            f"store URL {url!r}: unknown parameter {unknown[0]!r}; SQLite URLs take 'timeout'"
        )
    if "timeout" not in params:
        return 30.0
    value = params["timeout"][-1]
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ConfigurationError(
            f"store URL {url!r}: timeout must be a number of seconds, got {value!r}"
        )
    return seconds


def _shown(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
