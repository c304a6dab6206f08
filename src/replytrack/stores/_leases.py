"""Leases on the SQL stores (see :class:`replytrack.protocols.LeaseStore`): one row per
held lease, taken and renewed by one upsert whose condition is the lease's rule, so two
processes racing for a lease get one winner from the database itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from replytrack.errors import ConfigurationError
from replytrack.models import require_aware
from replytrack.stores._rows import micros

if TYPE_CHECKING:
    from replytrack.stores._aggregates import Tx

__all__ = ["LeaseQueries", "check_lease"]

T = TypeVar("T")

_TAKE = (
    "INSERT INTO leases (tenant, name, holder, expires_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (tenant, name) DO UPDATE SET holder = excluded.holder,"
    " expires_at = excluded.expires_at"
    " WHERE leases.holder = excluded.holder OR leases.expires_at <= ?"
)
_RELEASE = "DELETE FROM leases WHERE tenant = ? AND name = ? AND holder = ?"


def check_lease(holder: str, now: datetime, expires_at: datetime) -> None:
    """ConfigurationError for an empty holder, naive times or an expiry not after ``now``."""
    if not isinstance(holder, str) or not holder:
        raise ConfigurationError(f"a lease holder must be a non-empty str, got {holder!r}")
    require_aware(now, "now")
    require_aware(expires_at, "expires_at")
    if expires_at <= now:
        raise ConfigurationError(
            f"a lease must expire after now: expires_at {expires_at.isoformat()}"
            f" is not after {now.isoformat()}"
        )


class LeaseQueries:
    """Mixed into SQLStore: acquire_lease and release_lease in SQL."""

    _conn: Any

    def _transact(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        raise NotImplementedError  # pragma: no cover - SQLStore provides it

    def acquire_lease(
        self, tenant: str, name: str, holder: str, *, now: datetime, expires_at: datetime
    ) -> bool:
        check_lease(holder, now, expires_at)
        params = (tenant, name, holder, micros(expires_at), micros(now))
        return self._transact(lambda tx: tx.execute(_TAKE, params)) == 1

    def release_lease(self, tenant: str, name: str, holder: str) -> bool:
        return self._transact(lambda tx: tx.execute(_RELEASE, (tenant, name, holder))) == 1
