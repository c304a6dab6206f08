"""Recall thresholds on the labelled corpus in ../shared (skipped when it is absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from replytrack.autoreply import MessageKind, classify

LABEL_KINDS = {
    "human_reply": MessageKind.HUMAN,
    "human_other": MessageKind.HUMAN,
    "auto_reply": MessageKind.AUTO_REPLY,
    "bounce": MessageKind.BOUNCE,
    "receipt": MessageKind.RECEIPT,
    "other_machine": MessageKind.BULK,
}
THRESHOLDS = {MessageKind.HUMAN: 0.99, MessageKind.AUTO_REPLY: 0.95, MessageKind.BOUNCE: 0.97}


def _recalls(corpus: Path) -> tuple[dict[MessageKind, float], list[str]]:
    with (corpus / "labels.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    hits: dict[MessageKind, int] = {}
    totals: dict[MessageKind, int] = {}
    misses = []
    for row in rows:
        expected = LABEL_KINDS[row["label"]]
        got = classify((corpus / "messages" / row["file"]).read_bytes()).kind
        totals[expected] = totals.get(expected, 0) + 1
        hits[expected] = hits.get(expected, 0) + (got is expected)
        if got is not expected:
            misses.append(f"{row['file']}: {got.value}")
    return {kind: hits[kind] / totals[kind] for kind in totals}, misses


@pytest.mark.corpus
def test_corpus_recall_meets_the_thresholds_for_humans_auto_replies_and_bounces(
    corpus_dir: Path,
) -> None:
    recalls, misses = _recalls(corpus_dir)
    below = {k.value: r for k, r in recalls.items() if r < THRESHOLDS.get(k, 0.0)}
    assert below == {}, misses
