"""The contract on fallback attachment and announcements is proven by stores it rejects:
MemoryStores broken in one way each, which every other contract test lets through."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from broken_stores import failing_contract_tests
from replytrack import MemoryStore, Reply
from replytrack.testing import store_state_machine
from replytrack.testing._contract_attach import AttachContract


class AttachesAMessageTwice(MemoryStore):
    """Forgets which send the fallback attached a message to once its batch is stored,
    as a store keyed by (send, message) alone would."""

    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        fresh = super().add_replies(tenant, replies)
        self._t(tenant).fallback_claims.clear()
        return fresh


class AnnouncesEveryTime(MemoryStore):
    """Says every record is announced for the first time."""

    def mark_announced(self, tenant: str, key: tuple[str, str]) -> bool:
        super().mark_announced(tenant, key)
        return True


class ForgetsRepliesAnnouncedAtIngest(MemoryStore):
    """Remembers only the records marked by mark_announced, not those stored as HUMAN."""

    def __init__(self) -> None:
        super().__init__()
        self.marked: set[tuple[str, tuple[str, str]]] = set()

    def mark_announced(self, tenant: str, key: tuple[str, str]) -> bool:
        super().mark_announced(tenant, key)
        first = (tenant, key) not in self.marked
        self.marked.add((tenant, key))
        return first


ATTACH_TESTS = {name for name in vars(AttachContract) if name.startswith("test_")}


@pytest.mark.parametrize(
    ("broken", "caught_by"),
    [
        (
            AttachesAMessageTwice,
            {"test_a_message_attached_by_the_fallback_is_not_attached_to_the_contacts_other_send"},
        ),
        (
            AnnouncesEveryTime,
            {
                "test_a_record_stored_as_human_is_already_announced",
                "test_a_record_stored_as_automatic_is_announced_once_whatever_its_kind_does",
            },
        ),
        (ForgetsRepliesAnnouncedAtIngest, {"test_a_record_stored_as_human_is_already_announced"}),
    ],
)
def test_each_broken_store_fails_only_the_contract_tests_written_for_its_bug(
    broken: type[MemoryStore], caught_by: set[str]
) -> None:
    assert caught_by <= ATTACH_TESTS
    assert failing_contract_tests(broken) == caught_by


def test_the_reference_store_passes_every_attach_test() -> None:
    assert len(ATTACH_TESTS) >= 8
    assert not failing_contract_tests(MemoryStore) & ATTACH_TESTS


@pytest.mark.parametrize("broken", [AttachesAMessageTwice, AnnouncesEveryTime])
def test_the_state_machine_finds_each_broken_store_out(broken: type[MemoryStore]) -> None:
    quick = settings(
        max_examples=200,
        stateful_step_count=30,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],  # finding it is the point; shrinking would only cost time
    )
    with pytest.raises(AssertionError):
        run_state_machine_as_test(store_state_machine(broken), settings=quick)
