"""Every message of the correlation set gets its expected outcome, send and strategy."""

from __future__ import annotations

from collections import Counter

import pytest

from correlation.scenario import CASES, MESSAGES, Case, expected, is_false_match, run_case
from replytrack import Outcome


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
def test_each_message_gets_its_expected_outcome_send_and_strategy(case: Case) -> None:
    observed, result = run_case(case)
    assert observed == expected(case, observed), f"{case.why}; reason: {result.reason}"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.outcome is Outcome.REPLY], ids=lambda case: case.file
)
def test_each_reply_records_the_strategy_and_confidence_of_its_match(case: Case) -> None:
    _observed, result = run_case(case)
    assert result.reply is not None
    assert result.match is not None
    assert (result.reply.strategy, result.reply.confidence) == (
        result.match.strategy,
        result.match.confidence,
    )
    assert result.match.strategy.value in result.match.explain()


def test_every_message_file_has_exactly_one_case() -> None:
    files = sorted(path.name for path in MESSAGES.glob("*.eml"))
    counts = Counter(case.file for case in CASES)
    assert (files, max(counts.values())) == (sorted(counts), 1)


def test_the_set_holds_at_least_eighty_messages() -> None:
    assert len(CASES) >= 80


def test_no_message_is_matched_to_a_send_other_than_the_expected_one() -> None:
    false_matches = [c.file for c in CASES if is_false_match(c, run_case(c)[0])]
    assert false_matches == []


def test_the_set_covers_every_client_the_issue_names() -> None:
    named = {
        "gmail web",
        "gmail android",
        "outlook desktop",
        "outlook web",
        "exchange",
        "apple mail",
        "ios mail",
        "thunderbird",
        "yahoo",
    }
    assert named - {case.client for case in CASES} == set()
