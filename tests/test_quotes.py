"""quotes.new_text and snippet: what the sender wrote now, without the quoted original."""

from __future__ import annotations

import pytest

from replytrack.quotes import new_text, snippet


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Yes please.\n\nOn Mon, 3 Mar 2025 at 10:00, Sales <s@x.com> wrote:\n> offer",
            "Yes please.",
        ),
        (
            "Yes please.\n\nOn Mon, 3 Mar 2025 at 10:00, Sales <s@x.com>\nwrote:\n> offer",
            "Yes please.",
        ),
        ("Oui.\n\nLe lun. 3 mars 2025, Sales a écrit :\n> offre", "Oui."),
        ("Ja.\n\nAm 03.03.2025 um 10:00 schrieb Sales <s@x.com>:\n> Angebot", "Ja."),
        ("Sí.\n\nEl lun, 3 mar 2025, Sales escribió:\n> oferta", "Sí."),
        ("Ok.\n\n-----Original Message-----\nFrom: Sales\nSent: Monday", "Ok."),
        ("Ok.\n\n-----Ursprüngliche Nachricht-----\nVon: Sales", "Ok."),
        ("Ok.\n________________________________\nFrom: Sales\nSent: Monday", "Ok."),
        ("Ok.\n\nFrom: Sales <s@x.com>\nSent: Monday, 3 March 2025\nTo: Anna\n", "Ok."),
        ("Ok.\n\nDe : Sales\nEnvoyé : lundi 3 mars 2025\nÀ : Anna\n", "Ok."),
        ("> quoted first\nthen mine", ""),
        ("Nothing quoted here.\nSecond line.", "Nothing quoted here.\nSecond line."),
    ],
)
def test_new_text_stops_at_the_first_sign_of_the_quoted_original(body: str, expected: str) -> None:
    assert new_text(body) == expected


def test_a_from_line_at_the_very_top_is_not_taken_for_a_quoted_header_block() -> None:
    body = "From: my phone\nSent: now\nHello there"
    assert new_text(body) == body


def test_a_sentence_ending_in_wrote_without_an_address_is_kept() -> None:
    assert new_text("Here is what the report wrote:\nall fine") == (
        "Here is what the report wrote:\nall fine"
    )


def test_snippet_folds_white_space_and_cuts_with_an_ellipsis() -> None:
    assert snippet("Yes\n\n  please   call") == "Yes please call"
    assert snippet("word " * 100, length=20) == "word word word word…"
    assert len(snippet("x" * 500)) == 200
