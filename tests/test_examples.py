"""The README's first command runs examples/quickstart.py: it must give the expected report."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


@pytest.mark.parametrize("url", [None, "memory://"])
def test_the_quickstart_reports_the_sample_mailbox(
    url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = runpy.run_path(str(QUICKSTART))
    namespace["main"](url)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "ingested: automatic=2, duplicate=1, not_a_reply=1, reply=3, wrong_sender=1"
    assert out[1].startswith("spring     sent=5 delivered=4 replies=2 repliers=2 reply_rate=50%")
    assert "'bounce': 1" in out[1]
    assert out[3].startswith("all emails sent=7 delivered=6 replies=3 repliers=3")
    assert out[4].endswith("dana: Please send me a quote for 12 seats. Dana")
    assert out[-1].startswith("bob: replied=True emails_replied=2")
