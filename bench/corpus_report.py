"""Per-kind precision, recall and confusion matrix of ``classify`` over ../shared/corpus.

Run from anywhere: ``python bench/corpus_report.py [--errors]``. The corpus path is
resolved from the repository root (``<repo>/../shared/corpus``).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from replytrack.autoreply import MessageKind, classify

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
LABEL_KINDS = {
    "human_reply": MessageKind.HUMAN,
    "human_other": MessageKind.HUMAN,
    "auto_reply": MessageKind.AUTO_REPLY,
    "bounce": MessageKind.BOUNCE,
    "receipt": MessageKind.RECEIPT,
    "other_machine": MessageKind.BULK,
}
Confusion = dict[tuple[MessageKind, MessageKind], int]


def load(corpus: Path = CORPUS) -> list[tuple[str, MessageKind, bytes]]:
    """(file name, expected kind, raw bytes) for every labelled message."""
    with (corpus / "labels.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        (row["file"], LABEL_KINDS[row["label"]], (corpus / "messages" / row["file"]).read_bytes())
        for row in rows
    ]


def evaluate(cases: list[tuple[str, MessageKind, bytes]]) -> tuple[Confusion, list[str]]:
    """The confusion counts (expected, got) and one line per misclassified file."""
    confusion: Confusion = {}
    errors: list[str] = []
    for name, expected, raw in cases:
        verdict = classify(raw)
        confusion[expected, verdict.kind] = confusion.get((expected, verdict.kind), 0) + 1
        if verdict.kind is not expected:
            errors.append(
                f"{name}: expected {expected.value}, got {verdict.kind.value}"
                f" ({verdict.subtype}; {', '.join(verdict.reasons)})"
            )
    return confusion, errors


def scores(confusion: Confusion) -> dict[MessageKind, tuple[float, float, int]]:
    """Per kind: (precision, recall, support); 1.0 when a ratio has nothing to count."""
    out = {}
    for kind in MessageKind:
        hits = confusion.get((kind, kind), 0)
        predicted = sum(n for (_, got), n in confusion.items() if got is kind)
        actual = sum(n for (exp, _), n in confusion.items() if exp is kind)
        out[kind] = (
            hits / predicted if predicted else 1.0,
            hits / actual if actual else 1.0,
            actual,
        )
    return out


def main(argv: list[str]) -> int:
    if not (CORPUS / "labels.tsv").exists():
        print(f"corpus not found at {CORPUS}")
        return 1
    confusion, errors = evaluate(load())
    print(f"{'kind':<11} {'precision':>9} {'recall':>7} {'n':>4}")
    for kind, (precision, recall, support) in scores(confusion).items():
        print(f"{kind.value:<11} {precision:9.3f} {recall:7.3f} {support:4d}")
    kinds = list(MessageKind)
    print("\nconfusion (rows: expected, columns: got)")
    print(" " * 11 + "".join(f"{k.value[:9]:>10}" for k in kinds))
    for exp in kinds:
        print(f"{exp.value:<11}" + "".join(f"{confusion.get((exp, got), 0):10d}" for got in kinds))
    if "--errors" in argv:
        print("\n" + "\n".join(errors))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
