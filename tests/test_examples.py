"""examples/quickstart.py runs the sample campaign through the Python API, with the numbers
``replytrack demo`` prints (tests/cli/test_demo_and_reports.py)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


@pytest.mark.parametrize("url", [None, "memory://"])
def test_the_quickstart_reports_the_sample_campaign(
    url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = runpy.run_path(str(QUICKSTART))
    namespace["main"](url)
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0]
        == "sends: recorded=360 untracked={'no-connected-inbox': 60, 'owner-without-inbox': 20}"
    )
    assert out[1] == "alice: automatic=4, not_a_reply=4, reply=11, untracked=1"
    assert out[2] == (
        "sales: automatic=16, before_tracking=2, duplicate=1, forward=1, not_a_reply=8, "
        "reply=27, untracked=1, wrong_sender=2"
    )
    assert out[3].startswith(
        "spring-launch   sent=200 delivered=196 replies=28 repliers=26 reply_rate=13.3%"
    )
    assert out[5].startswith(
        "all emails      sent=360 delivered=355 replies=38 repliers=36 reply_rate=10.1%"
    )
    assert out[-1] == "c0144: replied=True emails_replied=1"
