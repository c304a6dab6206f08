"""The command line is tested as a user runs it: ``python -m replytrack`` in a subprocess,
in a folder of its own, with only the settings each test gives."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample"
MESSAGES = SAMPLE / "messages"
SECRET = "a test secret of more than thirty-two characters"

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_in(
    folder: Path, *args: str, stdin: str | bytes | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REPLYTRACK_")}
    clean.update({"REPLYTRACK_SECRET": SECRET, "COLUMNS": "200", **env})
    clean["HOME"] = str(folder)  # no user config file
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [sys.executable, "-m", "replytrack", *args],
        cwd=folder, input=data, capture_output=True, env=clean, timeout=60, check=False,
    )  # fmt: skip
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Run ``replytrack ARGS`` in an empty folder (its store: ./replytrack.db)."""

    def runner(
        *args: str, stdin: str | bytes | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return run_in(tmp_path, *args, stdin=stdin, **env)

    return runner


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where ``replytrack demo`` ran once: its store is replytrack-demo.db."""
    folder = tmp_path_factory.mktemp("demo")
    done = run_in(folder, "demo")
    assert done.returncode == 0, done.stderr
    (folder / "demo.out").write_text(done.stdout, encoding="utf-8")
    return folder


@pytest.fixture
def on_demo(demo_folder: Path) -> Run:
    """Run ``replytrack --db sqlite:///replytrack-demo.db ARGS`` where the demo ran."""

    def runner(
        *args: str, stdin: str | bytes | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return run_in(
            demo_folder, "--db", "sqlite:///replytrack-demo.db", *args, stdin=stdin, **env
        )

    return runner
