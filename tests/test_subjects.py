"""Subject normalisation, forward prefixes and forward markers as real clients write them."""

from __future__ import annotations

import time

import pytest

from replytrack._autoreply_tables import AUTO_SUBJECTS
from replytrack.subjects import (
    PrefixKind,
    forward_kind,
    has_forward_marker,
    normalise_subject,
    prefix_meanings,
    strip_auto_reply,
)

ORIGINAL = "Spring webinar: pipeline reviews that work"
EXPECTED = "spring webinar: pipeline reviews that work"


@pytest.mark.parametrize(
    "subject",
    [
        f"Re: {ORIGINAL}",
        f"RE: {ORIGINAL}",
        f"re:{ORIGINAL}",
        f"Re: Re: RE: {ORIGINAL}",
        f"Re:Re:{ORIGINAL}",
        f"Re[2]: {ORIGINAL}",
        f"Re(2): {ORIGINAL}",
        f"Re^3: {ORIGINAL}",
        f"Re [12] : {ORIGINAL}",
        f"RE : {ORIGINAL}",
        f"AW: {ORIGINAL}",
        f"Aw: AW: {ORIGINAL}",
        f"Antwort: {ORIGINAL}",
        f"Antw: {ORIGINAL}",
        f"Antw.: {ORIGINAL}",
        f"SV: {ORIGINAL}",
        f"Sv: {ORIGINAL}",
        f"Svar: {ORIGINAL}",
        f"VS: {ORIGINAL}",
        f"Vs: {ORIGINAL}",
        f"Odp: {ORIGINAL}",
        f"R: {ORIGINAL}",
        f"RIF: {ORIGINAL}",
        f"Vá: {ORIGINAL}",
        f"YNT: {ORIGINAL}",
        f"Ynt: {ORIGINAL}",
        f"RES: {ORIGINAL}",
        f"Réf. : {ORIGINAL}",
        f"Odg: {ORIGINAL}",
        f"Atb: {ORIGINAL}",
        f"ATS: {ORIGINAL}",
        f"Отв: {ORIGINAL}",
        f"Ответ: {ORIGINAL}",
        f"Відп: {ORIGINAL}",
        f"ΑΠ: {ORIGINAL}",
        f"ΣΧΕΤ: {ORIGINAL}",
        f"回复: {ORIGINAL}",
        f"回复：{ORIGINAL}",
        f"答复: {ORIGINAL}",
        f"回覆：{ORIGINAL}",
        f"返信: {ORIGINAL}",
        f"답장: {ORIGINAL}",
        f"회신: {ORIGINAL}",
        f"Trả lời: {ORIGINAL}",
        f"Fwd: {ORIGINAL}",
        f"FW: {ORIGINAL}",
        f"WG: AW: {ORIGINAL}",
        f"TR : {ORIGINAL}",
        f"RV: {ORIGINAL}",
        f"Doorst: {ORIGINAL}",
        f"I: {ORIGINAL}",
        f"PD: {ORIGINAL}",
        f"ENC: {ORIGINAL}",
        f"İLT: {ORIGINAL}",
        f"ПЕР: {ORIGINAL}",
        f"Пересл: {ORIGINAL}",
        f"转发: {ORIGINAL}",
        f"轉寄: {ORIGINAL}",
        f"転送：{ORIGINAL}",
        f"전달: {ORIGINAL}",
        f"[team-list] {ORIGINAL}",
        f"[team-list] Re: {ORIGINAL}",
        f"Re: [EXTERNAL] {ORIGINAL}",
        f"【广告】 回复：{ORIGINAL}",
        "  Re:   Spring  webinar:\tpipeline reviews   that WORK  ",
        f"{ORIGINAL} (fwd)",
    ],
)
def test_every_spelling_of_a_reply_or_forward_normalises_to_the_original(subject: str) -> None:
    assert normalise_subject(subject) == EXPECTED


def test_the_original_subject_normalises_to_itself_folded() -> None:
    assert normalise_subject(ORIGINAL) == EXPECTED


def test_a_word_before_a_colon_that_is_not_a_prefix_is_kept() -> None:
    assert normalise_subject("AW: Einladung: Produktvorstellung") == "einladung: produktvorstellung"


def test_a_prefix_inside_the_subject_is_kept() -> None:
    assert normalise_subject("Question about Re: tags") == "question about re: tags"


def test_a_counter_that_is_not_a_number_stops_the_stripping() -> None:
    assert normalise_subject("Re[draft]: plan") == "re[draft]: plan"


def test_an_unclosed_list_tag_is_kept() -> None:
    assert normalise_subject("[team-list Re: plan") == "[team-list re: plan"


def test_case_folding_goes_beyond_lower_case() -> None:
    assert normalise_subject("Re: STRASSE") == normalise_subject("Re: Straße")


def test_a_subject_of_only_prefixes_normalises_to_empty() -> None:
    assert normalise_subject("Re: Fwd: ") == ""


def test_a_megabyte_of_stacked_reply_prefixes_is_stripped_in_one_pass() -> None:
    subject = "Re: " * 262_144 + "Hello"
    assert normalise_subject(subject) == "hello"


def test_a_megabyte_without_colons_comes_back_folded() -> None:
    assert normalise_subject("Re" * 524_288) == "re" * 524_288


def test_a_megabyte_of_opening_brackets_is_kept() -> None:
    assert normalise_subject("[" * 1_048_576) == "[" * 1_048_576


@pytest.mark.parametrize(
    "subject",
    [
        "Fwd: offer",
        "FW: offer",
        "Fw: offer",
        "WG: offer",
        "TR : offer",
        "RV: offer",
        "PD: offer",
        "Doorst: offer",
        "Enc: offer",
        "I: offer",
        "VB: offer",
        "VL: offer",
        "PŘ: offer",
        "İLT: offer",
        "ПЕР: offer",
        "Пересл: offer",
        "ΠΡΘ: offer",
        "转发：offer",
        "轉寄: offer",
        "転送: offer",
        "전달: offer",
        "WG: AW: offer",
        "[list] Fwd: offer",
        "offer (fwd)",
    ],
)
def test_an_outermost_forward_prefix_is_a_forward(subject: str) -> None:
    assert forward_kind(subject) is True


@pytest.mark.parametrize(
    "subject",
    [
        "Re: offer",
        "AW: offer",
        "SV: offer",
        "R: offer",
        "RIF: offer",
        "Antw: offer",
        "Odp: offer",
        "RES: offer",
        "YNT: offer",
        "Vá: offer",
        "Отв: offer",
        "ΑΠ: offer",
        "回复：offer",
        "答复: offer",
        "返信: offer",
        "답장: offer",
        "Re: Fwd: offer",
        "AW: WG: offer",
    ],
)
def test_an_outermost_reply_prefix_is_a_reply(subject: str) -> None:
    assert forward_kind(subject) is False


@pytest.mark.parametrize("subject", ["offer", "Einladung: offer", "", "   ", "[list] offer"])
def test_a_subject_without_a_known_prefix_is_undecided(subject: str) -> None:
    assert forward_kind(subject) is None


def test_vs_alone_is_undecided_because_it_is_a_finnish_reply_and_a_norwegian_forward() -> None:
    assert forward_kind("VS: offer") is None
    assert prefix_meanings("VS") == {
        "fi": PrefixKind.REPLY,
        "et": PrefixKind.REPLY,
        "da": PrefixKind.FORWARD,
        "no": PrefixKind.FORWARD,
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fi-FI", False), ("et", False), ("nb-NO", True), ("da_DK", True), ("de-DE", None)],
)
def test_the_message_language_settles_an_ambiguous_prefix(
    language: str, expected: bool | None
) -> None:
    assert forward_kind("VS: offer", language=language) is expected


def test_the_language_does_not_override_an_unambiguous_prefix() -> None:
    assert forward_kind("SV: offer", language="no") is False


@pytest.mark.parametrize("prefix", ["SV", "R", "I", "TR", "AW"])
def test_prefixes_that_look_risky_have_one_meaning_in_every_language(prefix: str) -> None:
    assert len(set(prefix_meanings(prefix).values())) == 1


def test_an_unknown_prefix_has_no_meanings() -> None:
    assert prefix_meanings("Einladung") == {}


@pytest.mark.parametrize(
    "body",
    [
        "FYI\n\n---------- Forwarded message ---------\nFrom: Sales <sales@example.com>\n",
        "---------- Weitergeleitete Nachricht ---------\nVon: Sales\n",
        "-------- Forwarded Message --------\nSubject: Spring webinar\n",
        "-------- Message transféré --------\nSujet : Spring\n",
        "\n\n----- Forwarded Message -----\nFrom: Sales <sales@example.com>\n",
        "Sent from my iPhone\n\nBegin forwarded message:\n\n> From: Sales\n",
        "Anfang der weitergeleiteten Nachricht:\n\n",
        "Début du message réexpédié :\n\n",
        "\n________________________________\nFrom: Sales <sales@example.com>\n"
        "Sent: Monday, March 2, 2026 10:00 AM\nTo: Carla <carla@fabrikam.test>\n"
        "Subject: Spring webinar\n\nHello",
        "-----Original Message-----\nFrom: Sales\nSent: Monday\nTo: Carla\nSubject: Spring\n",
        "Von: Sales <sales@example.com>\nGesendet: Montag, 2. März 2026 10:00\n"
        "An: Dieter\nBetreff: Spring webinar\n",
        "De : Sales\nEnvoyé : lundi 2 mars 2026 10:00\nÀ : Sophie\nObjet : Spring webinar\n",
        "*From:* Sales\n*Sent:* Monday\n*To:* Carla\n*Subject:* Spring webinar\n",
    ],
)
def test_forward_markers_of_each_client_are_found(body: str) -> None:
    assert has_forward_marker(body) is True


@pytest.mark.parametrize(
    "body",
    [
        "",
        "Thanks, count me in!\n\nOn Mon, 2 Mar 2026 at 10:00, Sales <sales@example.com> wrote:\n"
        "> Join us\n",
        "Yes please.\n\nFrom: Sales <sales@example.com>\nSent: Monday, March 2, 2026\n"
        "To: Carla\nSubject: Spring webinar\n",
        "> ---------- Forwarded message ---------\n> From: someone\n",
        "Sounds good -- see you there --\n",
        "From: the desk of Carla\nthanks\n",
    ],
)
def test_replies_and_quoted_markers_are_not_forwards(body: str) -> None:
    assert has_forward_marker(body) is False


def test_a_megabyte_of_dashes_is_not_a_forward_marker() -> None:
    assert has_forward_marker("-" * 1_048_576) is False


# -- auto-reply forms -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "subject",
    [
        f"Automatic reply: {ORIGINAL}",
        f"Automatic reply: RE: {ORIGINAL}",
        f"Out of Office AutoReply: Automatic reply: {ORIGINAL}",
        f"Réponse automatique : {ORIGINAL}",
        f"Automatische Antwort: AW: [EXTERN] {ORIGINAL}",
        f"自動回覆：{ORIGINAL}",
        f"[Automatyczna odpowiedź ] {ORIGINAL}",
        f"Re: {ORIGINAL} (Automatic Response)",
        f"AUTO: {ORIGINAL}",
    ],
)
def test_auto_reply_forms_and_the_reply_prefixes_after_them_are_stripped(subject: str) -> None:
    assert strip_auto_reply(subject) == EXPECTED


@pytest.mark.parametrize(
    "text", [text for text, form, _, _ in AUTO_SUBJECTS if form in ("prefix", "prefix-only")]
)
def test_every_prefix_of_the_table_is_stripped(text: str) -> None:
    assert strip_auto_reply(f"{text}: {ORIGINAL}") == EXPECTED
    assert strip_auto_reply(f"[{text}] {ORIGINAL}") == EXPECTED


def test_a_subject_that_is_an_auto_reply_form_alone_leaves_nothing() -> None:
    assert strip_auto_reply("Out of Office") == ""
    assert strip_auto_reply("Automatic reply:") == ""


def test_a_subject_without_an_auto_reply_form_is_only_normalised() -> None:
    assert strip_auto_reply(f"RE: {ORIGINAL}") == normalise_subject(f"RE: {ORIGINAL}")
    assert strip_auto_reply("Autobahn: road works") == "autobahn: road works"


def test_a_megabyte_of_stacked_auto_reply_prefixes_is_read_in_bounded_steps() -> None:
    subject = "Automatic reply: " * 60_000 + ORIGINAL
    started = time.perf_counter()
    strip_auto_reply(subject)
    assert time.perf_counter() - started < 1.0
