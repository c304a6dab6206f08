"""The README's first command, ``replytrack demo``, prints the same report when run twice in
a row: the second run imports and counts nothing again."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import run_in


def the_report(out: str) -> str:
    """The report the demo prints: from its report command to the hint that follows."""
    start = out.index(" report\n")
    return out[start : out.index("Explore it:")]


def test_the_demo_run_twice_prints_the_same_report(tmp_path: Path) -> None:
    first, second = run_in(tmp_path, "demo"), run_in(tmp_path, "demo")
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert "all emails" in the_report(first.stdout)
    assert the_report(second.stdout) == the_report(first.stdout)
