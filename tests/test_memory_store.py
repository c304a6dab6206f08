"""MemoryStore passes the shipped contract and agrees with itself under the state machine."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from replytrack import MemoryStore, Store
from replytrack.testing import StoreContract, store_state_machine


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Store:
        return MemoryStore()


def test_memory_store_satisfies_the_store_protocol() -> None:
    assert isinstance(MemoryStore(), Store)


TestMemoryStoreMachine = store_state_machine(MemoryStore).TestCase
TestMemoryStoreMachine.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
