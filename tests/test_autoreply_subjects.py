"""The table of auto-reply subjects: one row per form, language and source, each one read."""

from __future__ import annotations

import pytest

from replytrack import _autoreply_tables as tables
from replytrack.autoreply import MessageKind, classify

ROWS = tables.AUTO_SUBJECTS
FORMS = {"prefix", "prefix-only", "exact", "suffix", "phrase"}


def message(subject: str) -> bytes:
    head = f"From: Anna <anna@example.net>\r\nTo: sales@shop.example.com\r\nSubject: {subject}\r\n"
    return (head + "\r\nHello.\r\n").encode("utf-8")


def test_every_row_names_a_known_form_a_language_and_a_source() -> None:
    assert [row for row in ROWS if row[1] not in FORMS or not all(row)] == []
    folded = [(tables.fold_subject(text), form) for text, form, _, _ in ROWS]
    assert len(folded) == len(set(folded)), "a form is listed twice"


def test_the_table_covers_the_languages_outlook_localises_into() -> None:
    languages = {language for _, _, language, _ in ROWS}
    baltic, balkan = {"lv", "lt", "et"}, {"hr", "sr", "bg", "mk", "sq", "sl", "el"}
    central = {"pl", "cs", "sk", "hu", "ro"}
    others = {"tr", "he", "ar", "th", "vi", "id", "hi", "zh", "zh-tw", "ja", "ko"}
    western = {"en", "de", "fr", "es", "pt", "it", "nl", "sv", "da", "no", "fi", "ru", "uk"}
    assert baltic | balkan | central | others | western <= languages
    assert len(languages) >= 45


PREFIXES = [row for row in ROWS if row[1] in ("prefix", "prefix-only")]


@pytest.mark.parametrize(
    ("text", "form", "language", "source"), PREFIXES, ids=[r[0] for r in PREFIXES]
)
def test_each_prefix_makes_an_auto_reply_in_its_language_and_a_reply_to_it_stays_human(
    text: str, form: str, language: str, source: str
) -> None:
    verdict = classify(message(f"{text}: Spring offer"))
    assert verdict.kind is MessageKind.AUTO_REPLY, source
    assert verdict.reasons == (f"subject:auto-reply:{language}",)
    assert classify(message(f"Re: {text}: Spring offer")).kind is MessageKind.HUMAN
    alone = classify(message(text)).kind
    assert alone is (MessageKind.HUMAN if form == "prefix-only" else MessageKind.AUTO_REPLY)


@pytest.mark.parametrize(
    ("subject", "language"),
    [
        (text if form == "exact" else f"Re: Spring offer {text}", language)
        for text, form, language, _ in ROWS
        if form in ("exact", "suffix")
    ],
)
def test_each_whole_subject_and_suffix_makes_an_auto_reply(subject: str, language: str) -> None:
    assert classify(message(subject)).reasons == (f"subject:auto-reply:{language}",)


@pytest.mark.parametrize(
    ("text", "language"), [(text, language) for text, form, language, _ in ROWS if form == "phrase"]
)
def test_each_lotus_phrase_makes_an_auto_reply_after_the_persons_name(
    text: str, language: str
) -> None:
    verdict = classify(message(f"Anna Berg{text}."))
    assert verdict.reasons == (f"subject:auto-reply:{language}",)
