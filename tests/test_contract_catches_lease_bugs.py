"""The contract on leases is proven by stores it rejects: MemoryStores broken in one way
each, which every other contract test lets through."""

from __future__ import annotations

from datetime import datetime

import pytest

from broken_stores import failing_contract_tests
from replytrack import MemoryStore
from replytrack.testing._contract_lease import LeaseContract


class NeverExpires(MemoryStore):
    """Keeps a lease for its holder whatever its expiry: a dead worker blocks the inbox."""

    def acquire_lease(
        self, tenant: str, name: str, holder: str, *, now: datetime, expires_at: datetime
    ) -> bool:
        held = self._t(tenant).leases.get(name)
        if held is not None and held[0] != holder:
            return False
        return super().acquire_lease(tenant, name, holder, now=now, expires_at=expires_at)


class ExpiresAfterItsTime(MemoryStore):
    """Takes a lease from its holder only once its expiry is strictly before now."""

    def acquire_lease(
        self, tenant: str, name: str, holder: str, *, now: datetime, expires_at: datetime
    ) -> bool:
        held = self._t(tenant).leases.get(name)
        if held is not None and held[0] != holder and held[1] == now:
            return False
        return super().acquire_lease(tenant, name, holder, now=now, expires_at=expires_at)


class LetsAnyoneIn(MemoryStore):
    """Hands a held lease to whoever asks."""

    def acquire_lease(
        self, tenant: str, name: str, holder: str, *, now: datetime, expires_at: datetime
    ) -> bool:
        self._t(tenant).leases.pop(name, None)
        return super().acquire_lease(tenant, name, holder, now=now, expires_at=expires_at)


class KeepsTheFirstExpiry(MemoryStore):
    """A renewal says True but leaves the lease to run out at its first expiry."""

    def acquire_lease(
        self, tenant: str, name: str, holder: str, *, now: datetime, expires_at: datetime
    ) -> bool:
        held = self._t(tenant).leases.get(name)
        taken = super().acquire_lease(tenant, name, holder, now=now, expires_at=expires_at)
        if taken and held is not None and held[0] == holder:
            self._t(tenant).leases[name] = held
        return taken


class ReleasesForAnyone(MemoryStore):
    """Frees a lease whoever asks."""

    def release_lease(self, tenant: str, name: str, holder: str) -> bool:
        held = self._t(tenant).leases.pop(name, None)
        return held is not None


class OneLeaseForAllTenants(MemoryStore):
    """Keeps every tenant's leases in one place."""

    def acquire_lease(
        self, tenant: str, name: str, holder: str, *, now: datetime, expires_at: datetime
    ) -> bool:
        return super().acquire_lease("", name, holder, now=now, expires_at=expires_at)

    def release_lease(self, tenant: str, name: str, holder: str) -> bool:
        return super().release_lease("", name, holder)


LEASE_TESTS = {name for name in vars(LeaseContract) if name.startswith("test_")}


@pytest.mark.parametrize(
    ("broken", "caught_by"),
    [
        (
            NeverExpires,
            {
                "test_a_held_lease_is_refused_to_another_holder_until_it_expires",
                "test_the_holder_renews_its_lease_to_the_new_expiry",
                "test_a_renewal_may_shorten_the_lease",
            },
        ),
        (
            ExpiresAfterItsTime,
            {
                "test_a_held_lease_is_refused_to_another_holder_until_it_expires",
                "test_the_holder_renews_its_lease_to_the_new_expiry",
                "test_a_renewal_may_shorten_the_lease",
            },
        ),
        (
            LetsAnyoneIn,
            {
                "test_a_held_lease_is_refused_to_another_holder_until_it_expires",
                "test_the_holder_renews_its_lease_to_the_new_expiry",
                "test_only_the_holder_releases_a_lease",
                "test_leases_are_kept_per_name_and_per_tenant",
            },
        ),
        (
            KeepsTheFirstExpiry,
            {
                "test_the_holder_renews_its_lease_to_the_new_expiry",
                "test_a_renewal_may_shorten_the_lease",
            },
        ),
        (
            ReleasesForAnyone,
            {
                "test_only_the_holder_releases_a_lease",
                "test_leases_are_kept_per_name_and_per_tenant",
            },
        ),
        (OneLeaseForAllTenants, {"test_leases_are_kept_per_name_and_per_tenant"}),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_each_broken_store_fails_the_lease_tests_that_catch_it_and_no_other(
    broken: type[MemoryStore], caught_by: set[str]
) -> None:
    assert caught_by <= LEASE_TESTS
    assert failing_contract_tests(broken) == caught_by


def test_the_memory_store_passes_every_lease_test() -> None:
    assert failing_contract_tests(MemoryStore) & LEASE_TESTS == set()
