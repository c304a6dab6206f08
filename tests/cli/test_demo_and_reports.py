"""The README's first command runs ``replytrack demo``: its report, in every output form,
gives the sample campaign's numbers (examples/sample, see examples/make_sample.py)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from tests.cli.conftest import ROOT, Run

# email: sent, untracked, bounced, delivered, replies, repliers, fallback matches
EXPECTED = {
    "feb-newsletter": (60, 60, 0, 60, 0, 0, 0),
    "pricing-webinar": (100, 20, 1, 99, 10, 10, 1),
    "spring-launch": (200, 0, 4, 196, 28, 26, 3),
    "all emails": (360, 80, 5, 355, 38, 36, 4),
}
FIELDS = ("sent", "untracked", "bounced", "delivered", "replies", "repliers", "fallback_matches")


def test_the_demo_prints_each_command_then_the_report_table(demo_folder: Path) -> None:
    out = (demo_folder / "demo.out").read_text(encoding="utf-8")
    assert "$ replytrack --db sqlite:///replytrack-demo.db sends import" in out
    rows = {line.split("│")[0].strip(): line for line in out.splitlines() if "│" in line}
    for email, numbers in EXPECTED.items():
        cells = [c.strip() for c in rows[email].split("│")]
        assert cells[1:8] == [str(n) for n in numbers[:5]] + [
            str(numbers[5]),
            f"{numbers[5] / numbers[3]:.1%}",
        ]
    assert "13 auto_reply, 6 bounce, 1 receipt" in rows["all emails"]


def test_the_report_as_json_has_the_sample_numbers(on_demo: Run) -> None:
    done = on_demo("report", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["email"]: r for r in json.loads(done.stdout)}
    assert {e: tuple(rows[e][f] for f in FIELDS) for e in EXPECTED} == EXPECTED
    spring = rows["spring-launch"]
    assert spring["reply_rate"] == round(26 / 196, 4)
    assert spring["automatic"] == {"auto_reply": 10, "bounce": 5, "receipt": 1}
    assert spring["automatic_subtypes"]["bounce:soft"] == 1
    assert rows["all emails"]["untracked_reasons"] == {
        "no-connected-inbox": 60,
        "owner-without-inbox": 20,
    }


def test_the_report_of_one_email_as_csv(on_demo: Run) -> None:
    done = on_demo("report", "pricing-webinar", "--csv")
    [row] = list(csv.DictReader(io.StringIO(done.stdout)))
    assert (row["email"], row["replies"], row["reply_rate"]) == ("pricing-webinar", "10", "0.101")


def test_running_the_demo_again_adds_nothing(on_demo: Run) -> None:
    done = on_demo("demo")
    assert done.returncode == 0, done.stderr
    assert re.search(r"skipped\s+│\s+360", done.stdout)
    report = json.loads(on_demo("report", "--json").stdout)
    assert report[-1]["replies"] == 38
    assert report[-1]["sent"] == 360


def test_replies_contact_and_segment_read_the_demo_store(on_demo: Run) -> None:
    replies = json.loads(on_demo("replies", "spring-launch", "--json").stdout)
    assert len(replies) == 28
    assert sum(r["strategy"] == "fallback" for r in replies) == 3
    contact = json.loads(on_demo("contact", "c0144", "--json").stdout)
    assert contact["replied"] is True
    assert contact["timeline"][0]["email"] == "spring-launch"
    count = json.loads(on_demo("segment", 'replied to "spring-launch"', "--count", "--json").stdout)
    assert count["contacts"] == 26
    listed = on_demo("segment", 'replied to "pricing-webinar" and owner = "alice"', "--csv")
    assert len(listed.stdout.splitlines()) == 1 + 10


def test_inbox_list_shows_both_sources(on_demo: Run) -> None:
    rows = json.loads(on_demo("inbox", "list", "--json").stdout)
    assert [(r["id"], r["kind"], r["source"].endswith(f"{r['id']}.mbox")) for r in rows] == [
        ("alice", "personal", True),
        ("sales", "team", True),
    ]


def test_the_readmes_first_command_is_the_demo() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first = next(line for line in readme if line.startswith("python3 -m venv"))
    assert first.endswith("pip install -q -e '.[cli]' && .venv/bin/replytrack demo")
