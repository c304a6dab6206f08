"""StoreContract is proven by stores it rejects: three MemoryStores, each broken in one way a
SQL store's aggregates can break. Each passed every test the contract had before (issue 11,
defect 10) and fails the one written for its bug."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from broken_stores import CONTRACT_TESTS, failing_contract_tests
from replytrack import MemoryStore, MessageKind, Reply
from replytrack.reports import ContactProperties, EmailReport
from replytrack.testing import StoreContract, store_state_machine


class CountsRedeliveries(MemoryStore):
    """Says a reply stored in an earlier batch is not new, and counts it again anyway."""

    def __init__(self) -> None:
        super().__init__()
        self.again: Counter[tuple[str, str, str]] = Counter()

    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        earlier = {r.key for r in self.list_replies(tenant)}
        fresh = super().add_replies(tenant, replies)
        for reply in replies:
            if reply.key in earlier and reply.kind is MessageKind.HUMAN:
                self.again[tenant, reply.email_id, reply.contact_id] += 1
        return fresh

    def report(self, tenant: str, email_id: str | None = None) -> EmailReport:
        report = super().report(tenant, email_id)
        extra = sum(
            n for (t, e, _), n in self.again.items() if t == tenant and email_id in (None, e)
        )
        return attrs.evolve(report, replies=report.replies + extra)

    def contact_properties(self, tenant: str, contact_id: str) -> ContactProperties:
        props = super().contact_properties(tenant, contact_id)
        extra = sum(n for (t, _, c), n in self.again.items() if (t, c) == (tenant, contact_id))
        return attrs.evolve(props, reply_count=props.reply_count + extra)


class RepliersPerBatch(MemoryStore):
    """Counts a replier once per batch instead of once per (contact, email) pair."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, str, str]] = set()
        self.again: Counter[tuple[str, str]] = Counter()

    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        fresh = super().add_replies(tenant, replies)
        pairs = {
            (tenant, r.email_id, r.contact_id)
            for r, new in zip(replies, fresh, strict=True)
            if new and r.kind is MessageKind.HUMAN
        }
        for pair in pairs & self.seen:
            self.again[pair[0], pair[1]] += 1
        self.seen |= pairs
        return fresh

    def report(self, tenant: str, email_id: str | None = None) -> EmailReport:
        report = super().report(tenant, email_id)
        extra = sum(n for (t, e), n in self.again.items() if t == tenant and email_id in (None, e))
        return attrs.evolve(report, repliers=report.repliers + extra)


class WholeSeconds(MemoryStore):
    """Keeps reply times to the second, as a column of the wrong type would."""

    def add_replies(self, tenant: str, replies: Sequence[Reply]) -> list[bool]:
        cut = [attrs.evolve(r, received_at=r.received_at.replace(microsecond=0)) for r in replies]
        return super().add_replies(tenant, cut)


# The tests StoreContract had before SafetyContract: the broken stores passed all of them.
EARLIER_TESTS = {name for name in vars(StoreContract) if name.startswith("test_")}


@pytest.mark.parametrize(
    ("broken", "caught_by"),
    [
        (
            CountsRedeliveries,
            {"test_a_reply_delivered_again_in_a_later_batch_changes_no_count"},
        ),
        (
            RepliersPerBatch,
            {"test_repliers_and_emails_replied_count_each_pair_once_across_batches"},
        ),
        (WholeSeconds, {"test_sub_second_times_round_trip_to_the_microsecond"}),
    ],
)
def test_each_broken_store_fails_the_contract_test_written_for_its_bug(
    broken: type[MemoryStore], caught_by: set[str]
) -> None:
    failed = failing_contract_tests(broken)
    assert caught_by <= failed
    assert not failed & EARLIER_TESTS, "the bug was already caught: this store proves nothing"


def test_the_reference_store_fails_no_contract_test() -> None:
    assert len(EARLIER_TESTS) > 30
    assert len(CONTRACT_TESTS) > len(EARLIER_TESTS)
    assert failing_contract_tests(MemoryStore) == set()


@pytest.mark.parametrize("broken", [CountsRedeliveries, RepliersPerBatch, WholeSeconds])
def test_the_state_machine_finds_each_broken_store_out(broken: type[MemoryStore]) -> None:
    machine = store_state_machine(broken)
    quick = settings(
        max_examples=1000,
        stateful_step_count=30,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],  # finding it is the point; shrinking would only cost time
    )
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(machine, settings=quick)
    # caught by an invariant comparing the store with the model, not by some other assert
    assert any(entry.name.endswith("_agree") for entry in caught.traceback)
