"""The part of :class:`~replytrack.testing.StoreContract` on leases
(:class:`~replytrack.protocols.LeaseStore`): one holder at a time, until the lease expires,
renewed by its holder, given up only by its holder; skipped for a store that keeps no
leases. ``tests/test_contract_catches_lease_bugs.py`` keeps a store broken in each way and
checks that it fails here.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from replytrack.errors import ConfigurationError
from replytrack.protocols import LeaseStore, SharedStore, Store

__all__ = ["LeaseContract"]

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "acme"
OTHER = "globex"
MINUTE = timedelta(minutes=1)
MICRO = timedelta(microseconds=1)


def _leases(store: Store) -> LeaseStore:
    if not isinstance(store, LeaseStore):
        pytest.skip(f"{type(store).__name__} keeps no leases (no acquire_lease)")
    return store


def _take(
    store: LeaseStore, holder: str, now: datetime, until: datetime, name: str = "sync:a"
) -> bool:
    return store.acquire_lease(TENANT, name, holder, now=now, expires_at=until)


class LeaseContract:
    """Leases; mixed into StoreContract."""

    def test_a_held_lease_is_refused_to_another_holder_until_it_expires(self, store: Store) -> None:
        leases = _leases(store)
        assert _take(leases, "w1", T0, T0 + MINUTE)
        assert not _take(leases, "w2", T0, T0 + MINUTE)
        assert not _take(leases, "w2", T0 + MINUTE - MICRO, T0 + 2 * MINUTE)
        assert _take(leases, "w2", T0 + MINUTE, T0 + 2 * MINUTE)  # expired at its expiry
        assert not _take(leases, "w1", T0 + MINUTE, T0 + 3 * MINUTE)

    def test_the_holder_renews_its_lease_to_the_new_expiry(self, store: Store) -> None:
        leases = _leases(store)
        assert _take(leases, "w1", T0, T0 + MINUTE)
        assert _take(leases, "w1", T0 + MINUTE / 2, T0 + 5 * MINUTE)
        assert not _take(leases, "w2", T0 + 4 * MINUTE, T0 + 6 * MINUTE)
        assert _take(leases, "w2", T0 + 5 * MINUTE, T0 + 6 * MINUTE)

    def test_a_renewal_may_shorten_the_lease(self, store: Store) -> None:
        leases = _leases(store)
        assert _take(leases, "w1", T0, T0 + 10 * MINUTE)
        assert _take(leases, "w1", T0, T0 + MINUTE)
        assert _take(leases, "w2", T0 + MINUTE, T0 + 2 * MINUTE)

    def test_only_the_holder_releases_a_lease(self, store: Store) -> None:
        leases = _leases(store)
        assert _take(leases, "w1", T0, T0 + MINUTE)
        assert not leases.release_lease(TENANT, "sync:a", "w2")
        assert not _take(leases, "w2", T0, T0 + MINUTE)
        assert leases.release_lease(TENANT, "sync:a", "w1")
        assert not leases.release_lease(TENANT, "sync:a", "w1")
        assert _take(leases, "w2", T0, T0 + MINUTE)

    def test_an_expired_lease_is_still_released_by_its_holder(self, store: Store) -> None:
        leases = _leases(store)
        assert _take(leases, "w1", T0, T0 + MINUTE)
        assert leases.release_lease(TENANT, "sync:a", "w1")
        assert _take(leases, "w2", T0, T0 + MINUTE)

    def test_leases_are_kept_per_name_and_per_tenant(self, store: Store) -> None:
        leases = _leases(store)
        assert _take(leases, "w1", T0, T0 + MINUTE, name="sync:a")
        assert _take(leases, "w2", T0, T0 + MINUTE, name="sync:b")
        assert leases.acquire_lease(OTHER, "sync:a", "w2", now=T0, expires_at=T0 + MINUTE)
        assert not leases.release_lease(OTHER, "sync:a", "w1")
        assert not _take(leases, "w2", T0, T0 + MINUTE, name="sync:a")

    def test_a_lease_that_would_not_outlive_now_or_names_no_holder_is_refused(
        self, store: Store
    ) -> None:
        leases = _leases(store)
        with pytest.raises(ConfigurationError, match="expire after now"):
            _take(leases, "w1", T0, T0)
        with pytest.raises(ConfigurationError, match="timezone-aware"):
            _take(leases, "w1", T0.replace(tzinfo=None), T0 + MINUTE)
        with pytest.raises(ConfigurationError, match="holder"):
            _take(leases, "", T0, T0 + MINUTE)
        assert _take(leases, "w2", T0, T0 + MINUTE)  # nothing was taken by the refused calls

    def test_of_two_connections_racing_for_a_lease_one_wins(self, store: Store) -> None:
        leases = _leases(store)
        if not isinstance(store, SharedStore):
            pytest.skip(f"{type(store).__name__} is opened by one process only")
        others = [store.reopen() for _ in range(3)]
        try:
            for round_ in range(20):
                won = _race(others, T0 + round_ * MINUTE)
                assert len(won) == 1, f"round {round_}: {won} all hold the lease"
        finally:
            for connection in others:
                connection.close()
        assert leases.release_lease(TENANT, "sync:race", won[0])


def _race(connections: list[Store], now: datetime) -> list[str]:
    """The holders that won the lease "sync:race" when each connection asks at once."""
    barrier = threading.Barrier(len(connections))
    won: list[str] = []

    def race(connection: Store, holder: str) -> None:
        assert isinstance(connection, LeaseStore)
        barrier.wait()
        if connection.acquire_lease(TENANT, "sync:race", holder, now=now, expires_at=now + MINUTE):
            won.append(holder)

    threads = [threading.Thread(target=race, args=(c, f"w{n}")) for n, c in enumerate(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won
