"""Shared fixtures: the labelled corpus in ../shared, skipped cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """../shared/corpus beside the repository; the test is skipped when it is not there."""
    if not (CORPUS / "labels.tsv").is_file():
        pytest.skip(f"labelled corpus not found at {CORPUS}")
    return CORPUS
