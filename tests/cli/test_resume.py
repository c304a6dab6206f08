"""A sync stopped early (by --limit, or by Ctrl-C) resumes where it stopped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import SAMPLE, SECRET, Run


def connect_and_import(run: Run, mbox: Path) -> None:
    for args in (
        ("inbox", "connect", "sales", "sales@northwind.example", "--connected-at",
         "2026-03-02T08:00:00Z", "--mbox", str(mbox)),
        ("sends", "import", str(SAMPLE / "sends.csv")),
    ):  # fmt: skip
        assert run(*args).returncode == 0


def test_a_sync_stopped_after_n_messages_resumes_and_counts_everything_once(run: Run) -> None:
    connect_and_import(run, SAMPLE / "sales.mbox")
    first = json.loads(run("sync", "--limit", "20", "--batch-size", "8", "--json").stdout)
    assert first[0]["read"] == 20
    rest = json.loads(run("sync", "--json").stdout)
    assert rest[0]["read"] == 58 - 20
    assert json.loads(run("sync", "--json").stdout)[0]["read"] == 0
    spring = json.loads(run("report", "spring-launch", "--json").stdout)[0]
    assert (spring["replies"], spring["repliers"], spring["bounced"]) == (28, 26, 4)


def test_ctrl_c_stops_after_the_batch_and_the_next_sync_resumes(run: Run, tmp_path: Path) -> None:
    big = tmp_path / "big.mbox"
    text = (SAMPLE / "sales.mbox").read_text(encoding="utf-8")
    big.write_text(text * 60, encoding="utf-8")  # 3,480 messages, the sample's again and again
    connect_and_import(run, big)
    env = {"REPLYTRACK_SECRET": SECRET, "PATH": "", "HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "replytrack", "sync", "--batch-size", "50", "--json"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    time.sleep(0.2)
    deadline = time.monotonic() + 30
    while not (tmp_path / "replytrack.db-wal").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "stopping after this batch" in err
    read = json.loads(out)[0]["read"]
    assert 0 < read < 3480
    rest = json.loads(run("sync", "--json").stdout)[0]["read"]
    assert read + rest == 3480
    assert json.loads(run("report", "--json").stdout)[-1]["replies"] == 28
