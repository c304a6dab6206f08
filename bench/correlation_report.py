"""Match rate per strategy and false-match count over the correlation set (tests/correlation).

Run from the repository root::

    python bench/correlation_report.py

For each strategy, the rate is the share of the messages expected to match by it
that matched the expected send by it. A false match is a match to a send other
than the expected one (or to any send where none is expected); the script exits
with status 1 when there is one, and prints every message whose result differs
from its expectation.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from correlation.scenario import CASES, expected, is_false_match, run_case
from replytrack import MatchStrategy


def main() -> int:
    expected_by: Counter[str] = Counter()
    matched_by: Counter[str] = Counter()
    outcomes_right: Counter[str] = Counter()
    outcomes_all: Counter[str] = Counter()
    clients: Counter[str] = Counter()
    false_matches: list[str] = []
    mismatches: list[str] = []
    for case in CASES:
        observed, result = run_case(case)
        clients[case.client] += 1
        outcomes_all[case.outcome.value] += 1
        if observed.outcome is case.outcome:
            outcomes_right[case.outcome.value] += 1
        if case.strategy is not None:
            expected_by[case.strategy.value] += 1
            if observed.send == case.send and observed.strategy is case.strategy:
                matched_by[case.strategy.value] += 1
        if is_false_match(case, observed):
            false_matches.append(f"{case.file}: matched {observed.send}, expected {case.send}")
        if observed != expected(case, observed):
            mismatches.append(
                f"{case.file}: got {observed.outcome.value}/{observed.send}/"
                f"{observed.strategy.value if observed.strategy else '-'}, expected "
                f"{case.outcome.value}/{case.send}/{case.strategy.value if case.strategy else '-'}"
                f" ({result.reason})"
            )

    print(f"correlation set: {len(CASES)} messages from {len(clients)} clients\n")
    print(f"{'strategy':<12} {'expected':>8} {'matched':>8} {'rate':>7}")
    for strategy in (MatchStrategy.TOKEN, MatchStrategy.MESSAGE_ID, MatchStrategy.FALLBACK):
        total, hits = expected_by[strategy.value], matched_by[strategy.value]
        rate = f"{hits / total:7.1%}" if total else "      -"
        print(f"{strategy.value:<12} {total:>8} {hits:>8} {rate}")
    print(f"\n{'outcome':<16} {'expected':>8} {'right':>8}")
    for outcome, total in sorted(outcomes_all.items()):
        print(f"{outcome:<16} {total:>8} {outcomes_right[outcome]:>8}")
    print(f"\nfalse matches: {len(false_matches)}")
    for line in false_matches:
        print(f"  {line}")
    print(f"messages not as expected: {len(mismatches)}")
    for line in mismatches:
        print(f"  {line}")
    return 1 if false_matches else 0


if __name__ == "__main__":
    sys.exit(main())
