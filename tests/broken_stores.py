"""Run the shipped StoreContract against a deliberately broken store, outside pytest's runner.

Each ``test_contract_catches_*`` module keeps broken MemoryStores and checks that exactly the
contract tests meant for each bug fail on it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _pytest.outcomes import Skipped

from replytrack.protocols import Store
from replytrack.testing import StoreContract

CONTRACT_TESTS = sorted(name for name in dir(StoreContract) if name.startswith("test_"))


def failing_contract_tests(factory: Callable[[], Store]) -> set[str]:
    """The names of the StoreContract tests a fresh store from ``factory`` fails."""
    failed = set()
    for name in CONTRACT_TESTS:
        try:
            getattr(StoreContract(), name)(factory())
        except (AssertionError, pytest.fail.Exception):
            failed.add(name)
        except Skipped:
            pass
    return failed
