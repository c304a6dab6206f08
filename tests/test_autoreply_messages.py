"""One case per hand-written message in tests/autoreply_messages (see expected.tsv there)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from replytrack.autoreply import MessageKind, classify

MESSAGES = Path(__file__).parent / "autoreply_messages"


def _rows() -> list[dict[str, str]]:
    with (MESSAGES / "expected.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = _rows()


def test_there_are_at_least_eighty_hand_written_messages() -> None:
    assert len(ROWS) >= 80
    assert {row["file"] for row in ROWS} == {p.name for p in MESSAGES.glob("*.eml")}


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_each_message_gets_its_documented_kind_reason_and_subtype(row: dict[str, str]) -> None:
    verdict = classify((MESSAGES / row["file"]).read_bytes())
    assert verdict.kind is MessageKind(row["kind"]), (row["note"], verdict)
    if row["reason"] != "-":
        assert row["reason"] in verdict.reasons, (row["note"], verdict)
    if row["subtype"] != "-":
        assert verdict.subtype == row["subtype"], (row["note"], verdict)
    if verdict.kind is MessageKind.HUMAN:
        assert verdict.reasons == ()


def test_every_rule_code_the_messages_exercise_is_documented() -> None:
    docs = (MESSAGES.parent.parent / "docs" / "autoreply.md").read_text(encoding="utf-8")
    codes = {row["reason"] for row in ROWS if row["reason"] != "-"}
    stems = {
        code.rsplit(":", 1)[0] if code.startswith("subject:") else code.partition("=")[0]
        for code in codes
    }
    assert [stem for stem in sorted(stems) if stem not in docs] == []
