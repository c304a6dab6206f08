"""PostgresStore passes the shipped contract and the state machine against MemoryStore."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from store_helpers import empty_postgres

from replytrack.testing import StoreContract, store_state_machine

pytestmark = pytest.mark.postgres

_DSN: list[str] = []


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, pg_dsn: str) -> Iterator[object]:
        store = empty_postgres(pg_dsn)
        yield store
        store.close()


_Machine = store_state_machine(lambda: empty_postgres(_DSN[0]))


class TestPostgresStoreMachine(_Machine.TestCase):  # type: ignore[name-defined,misc]
    settings = settings(
        max_examples=25,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )

    @pytest.fixture(autouse=True)
    def _database(self, pg_dsn: str) -> None:
        _DSN[:] = [pg_dsn]
