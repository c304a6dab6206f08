"""Stores: where records live (see replytrack.protocols.Store).

Build a store explicitly (``SQLiteStore(path)``, ``PostgresStore(dsn)``,
``MemoryStore()``) or from a URL with :func:`open_store`. The SQL stores are
imported on first use, so a missing optional driver only matters to its URL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    """A store from a URL: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////abs.db``,
    ``postgresql://user@host/db`` (``postgres://`` too).

    Raises ConfigurationError for an unknown or incomplete URL, and
    MissingDriverError (naming the extra to install) when the driver is missing.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ConfigurationError(f"store URL {url!r} has no scheme; try 'sqlite:///replies.db'")
    if scheme == "memory":
        return MemoryStore()
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else rest
        if not path:
            raise ConfigurationError(f"store URL {url!r} names no file: 'sqlite:///replies.db'")
        store: Store = _load("SQLiteStore")(path)
        return store
    if scheme in ("postgresql", "postgres"):
        store = _load("PostgresStore")(f"postgresql://{rest}")
        return store
    raise ConfigurationError(
        f"unknown store URL scheme {scheme!r} in {url!r}; use memory://, sqlite:/// or postgresql://"
    )
