"""docs/quickstart.md, followed line by line as a new user would: every shell block runs,
in order, in one shell, with the installed ``replytrack`` (the install line is skipped:
the test runs inside the environment it would make)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import ROOT

PAGE = ROOT / "docs" / "quickstart.md"
SKIPPED = ("python3 -m venv", ". .venv/bin/activate")


def shell_blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.S | re.M)


def test_the_quickstart_runs_line_by_line(tmp_path: Path) -> None:
    lines = [
        line
        for block in shell_blocks()
        for line in block.splitlines()
        if not line.startswith(SKIPPED)
    ]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYTRACK_")}
    env.update(HOME=str(tmp_path), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(lines)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "all emails" in done.stdout
    assert "Thanks! Can you call me on Thursday?" in done.stdout  # the test inbox's reply
    report = (tmp_path / "report.json").read_text(encoding="utf-8")
    assert '"replies": 38' in report
