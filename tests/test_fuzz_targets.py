"""The fuzz targets of bench/fuzz, run briefly without atheris: Hypothesis bytes and the seeds.

Each target must return for any input (bad mail is MALFORMED, a bad segment a
SegmentSyntaxError); on demand, ``python bench/fuzz/run.py`` runs them coverage-guided.
Inputs that once crashed a target go in REGRESSIONS.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "fuzz"))

from targets import SEEDS, TARGETS

REGRESSIONS: dict[str, list[bytes]] = {name: [] for name in TARGETS}

_LINES = st.lists(
    st.sampled_from(
        [b"From: ", b"Subject: =?utf-8?b?", b"References: <", b"\r\n", b"\n", b"\r", b"\x00",
         b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", b"--b--", b"@", b"\"",
         b"(", b"\xff\xfe", b"Auto-Submitted: auto-replied\r\n", b"replied to ", b"and ",
         b"not ", b"owner", b"'", b"= ", b"Status: 5.1.1\r\n"]
    )
    | st.binary(max_size=40),
    max_size=40,
).map(b"".join)  # fmt: skip


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_each_target_returns_on_its_seeds_and_past_crashes(name: str) -> None:
    for data in SEEDS[name] + REGRESSIONS[name]:
        TARGETS[name](data)


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_LINES)
def test_each_target_returns_on_generated_bytes(name: str, data: bytes) -> None:
    TARGETS[name](data)
