"""The segment language: what parses, what it prints back, and the error messages (a contract)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from replytrack import ConfigurationError, ReplytrackError, SegmentSyntaxError
from replytrack.segments import Schema, parse
from replytrack.segments import _ast as a

PROPS = Schema({"lifecycle_stage": "text", "score": "number", "vip": "boolean"})
EMAILS = ["spring", "summer", "webinar", "a", "b"]


def error(text: str, **kwargs: object) -> SegmentSyntaxError:
    with pytest.raises(SegmentSyntaxError) as caught:
        parse(text, properties=PROPS, emails=EMAILS, **kwargs)  # type: ignore[arg-type]
    return caught.value


# -- what parses ---------------------------------------------------------------------
ISSUE_EXAMPLES = [
    'replied to "spring"',
    'not replied to "spring"',
    'sent "spring" and not replied to "spring"',
    "replied to any",
    'replied to any of ["a", "b"]',
    'replied to "webinar" within last 14 days',
    "replied to at least 2 emails within last 90 days",
    "first_reply_at before 2024-01-01",
    "last_reply_at between 2024-01-01 and 2024-03-31",
    "last_reply_at within last 30 days",
    "last_reply_at more than 90 days ago",
    "last_reply_at is unknown",
    "reply_count >= 3",
    'owner = "alice" and lifecycle_stage in ["lead", "mql"]',
    'email_domain = "acme.com" or email ends with "@acme.co.uk"',
    '(replied to "a" or replied to "b") and not (lifecycle_stage = "customer" or owner is unknown)',
]


@pytest.mark.parametrize("text", ISSUE_EXAMPLES)
def test_every_example_of_the_issue_parses_and_prints_back_as_written(text: str) -> None:
    assert str(parse(text, properties=PROPS)) == text


@pytest.mark.parametrize(
    "text",
    [
        'owner does not contain "x" and owner not in ["a"] and reply_count between 1 and 3',
        'email starts with "ann" or email does not start with "bob" or email does not end with ".pl"',
        "last_reply_at after 2024-01-01T08:00:00Z and first_reply_at on yesterday",
        "last_reply_at between today and today or first_reply_at before yesterday",
        'replied to at least 2 of ["a", "b", "webinar"] within last 1 week',
        'sent any of ["a", "b"] before 2024-01-01 and sent any within last 2 hours',
        "vip = true and score > -1.5 and score in [1, 2.25] and vip != false",
        "not not (reply_count = 0 or emails_replied < 2 and emails_replied <= 3)",
        'lifecycle_stage = "say \\"hi\\" \\\\ bye"',
        "vip is known and (score is known and owner is known)",
    ],
)
def test_canonical_text_parses_back_to_the_same_tree(text: str) -> None:
    segment = parse(text, properties=PROPS)
    assert str(segment) == text
    assert parse(str(segment), properties=PROPS) == segment


def test_keywords_are_case_insensitive_and_negations_print_in_their_own_words() -> None:
    segment = parse('Replied TO "spring" AND NOT owner = "alice" Or owner Is Unknown')
    assert str(segment) == 'replied to "spring" and owner != "alice" or owner is unknown'


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    tree = parse("not vip = true and score = 1 or score = 2", properties=PROPS).expr
    vip, one, two = (
        a.Compare("vip", "=", True),
        a.Compare("score", "=", 1),
        a.Compare("score", "=", 2),
    )
    assert tree == a.Or((a.And((a.Not(vip), one)), two))


def test_negative_forms_are_not_around_the_positive_condition() -> None:
    tree = parse('owner != "x" and owner not in ["y"] and owner does not contain "z"').expr
    assert tree == a.And(
        (
            a.Not(a.Compare("owner", "=", "x")),
            a.Not(a.Among("owner", ("y",))),
            a.Not(a.TextMatch("owner", "contains", "z")),
        )
    )


def test_values_become_typed_literals() -> None:
    tree = parse(
        "first_reply_at between 2024-01-01 and 2024-01-02T10:00+02:00 and score = 2.5",
        properties=PROPS,
    ).expr
    assert tree == a.And(
        (
            a.When(
                "first_reply_at",
                a.Between(a.Day(date(2024, 1, 1)), datetime(2024, 1, 2, 8, tzinfo=UTC)),
            ),
            a.Compare("score", "=", 2.5),
        )
    )


def test_comments_and_line_breaks_are_space() -> None:
    segment = parse('replied to "a"  # the spring launch\n  and owner is known')
    assert str(segment) == 'replied to "a" and owner is known'


def test_within_the_last_reads_as_within_last() -> None:
    assert str(parse("last_reply_at within the last 1 day")) == "last_reply_at within last 1 day"


def test_a_segment_knows_what_it_depends_on() -> None:
    assert parse('owner = "a"').depends_on == {"contact"}
    assert parse('replied to "a" within last 3 days').depends_on == {"replies", "clock"}
    assert parse('sent "a" before today').depends_on == {"sends", "clock"}
    assert parse("reply_count > 1 and score = 2", properties=PROPS).depends_on == {
        "replies",
        "contact",
    }
    assert parse("first_reply_at before 2024-01-01").depends_on == {"replies"}


def test_a_segment_lists_the_emails_it_names() -> None:
    segment = parse('replied to any of ["a", "b"] or sent "c" or replied to any')
    assert segment.emails == {"a", "b", "c"}


# -- errors: the message is part of the contract ---------------------------------------
MISTAKES = [
    (
        "empty",
        "",
        'the segment is empty; write a condition such as replied to "spring" (column 1)\n  \n  ^',
    ),
    (
        "dangling operator",
        'replied to "a" and',
        "expected a condition, 'not' or '(', found the end of the segment (column 19)\n"
        '  replied to "a" and\n'
        "                    ^",
    ),
    (
        "misspelt field",
        'ownr = "x"',
        "unknown field 'ownr'; did you mean 'owner'? (column 1)\n  ownr = \"x\"\n  ^^^^",
    ),
    (
        "field in another case",
        "Score > 1",
        "unknown field 'Score'; did you mean 'score'? (column 1)\n  Score > 1\n  ^^^^^",
    ),
    (
        "undeclared property",
        'industry = "x"',
        "unknown field 'industry'; declare your contact properties in a Schema (column 1)\n"
        '  industry = "x"\n'
        "  ^^^^^^^^",
    ),
    (
        "email id without quotes",
        "replied to spring",
        "expected an email id in quotes, 'any' or 'at least', found 'spring';"
        ' did you mean "spring"? (column 12)\n'
        "  replied to spring\n"
        "             ^^^^^^",
    ),
    (
        "unknown email id",
        'replied to "sprnig"',
        'no email has the id "sprnig"; did you mean "spring"? (column 12)\n'
        '  replied to "sprnig"\n'
        "             ^^^^^^^^",
    ),
    (
        "double equals",
        'owner == "a"',
        "use '=' to compare, not '==' (column 7)\n  owner == \"a\"\n        ^^",
    ),
    (
        "symbol for and",
        'owner = "a" && sent any',
        "write 'and', not '&&' (column 13)\n  owner = \"a\" && sent any\n              ^^",
    ),
    (
        "misspelt unit",
        "last_reply_at within last 3 dyas",
        "unknown unit 'dyas'; did you mean 'days'? (column 29)\n"
        "  last_reply_at within last 3 dyas\n"
        "                              ^^^^",
    ),
    (
        "months",
        "last_reply_at within last 3 months",
        "months have no fixed length; count days or weeks (within last 30 days),"
        " or name the dates with between (column 29)\n"
        "  last_reply_at within last 3 months\n"
        "                              ^^^^^^",
    ),
    (
        "unclosed parenthesis",
        '(replied to "a"',
        "expected ')' to close the '(' at column 1, found the end of the segment (column 16)\n"
        '  (replied to "a"\n'
        "                 ^",
    ),
    (
        "unopened parenthesis",
        'replied to "a")',
        "this ')' closes no '(' (column 15)\n  replied to \"a\")\n                ^",
    ),
    (
        "text without quotes",
        "owner = alice",
        'owner is text: put the value in quotes, "alice" (column 9)\n'
        "  owner = alice\n"
        "          ^^^^^",
    ),
    (
        "number in quotes",
        'reply_count = "3"',
        "reply_count is a number: write it without quotes, 3 (column 15)\n"
        '  reply_count = "3"\n'
        "                ^^^",
    ),
    (
        "text operator on a number",
        'reply_count contains "x"',
        "'contains' needs text, and reply_count is a number (column 13)\n"
        '  reply_count contains "x"\n'
        "              ^^^^^^^^",
    ),
    (
        "ordering text",
        'owner < "b"',
        "'<' compares numbers, and owner is text (column 7)\n  owner < \"b\"\n        ^",
    ),
    (
        "equals on a time",
        "last_reply_at = 3",
        "last_reply_at is a time: compare it with before, after, on, between, within last"
        " or more than ... ago (column 15)\n"
        "  last_reply_at = 3\n"
        "                ^",
    ),
    (
        "is instead of equals",
        'owner is "alice"',
        "expected 'known' or 'unknown' after 'is', found \"alice\"; to compare,"
        ' write owner = "alice" (column 10)\n'
        '  owner is "alice"\n'
        "           ^^^^^^^",
    ),
    (
        "two conditions without an operator",
        'replied to "a" replied to "b"',
        "expected 'and', 'or' or the end of the segment, found 'replied' (column 16)\n"
        '  replied to "a" replied to "b"\n'
        "                 ^^^^^^^",
    ),
    (
        "time without a zone",
        "last_reply_at after 2024-01-01T10:00",
        "2024-01-01T10:00 has no UTC offset; write 2024-01-01T10:00Z for UTC or"
        " 2024-01-01T10:00+02:00 for two hours ahead of it (column 21)\n"
        "  last_reply_at after 2024-01-01T10:00\n"
        "                      ^^^^^^^^^^^^^^^^",
    ),
    (
        "no such day",
        "first_reply_at on 2024-02-30",
        "2024-02-30 is not a date: day is out of range for month (column 19)\n"
        "  first_reply_at on 2024-02-30\n"
        "                    ^^^^^^^^^^",
    ),
    (
        "range backwards",
        "last_reply_at between 2024-03-31 and 2024-01-01",
        "the range is empty: 2024-03-31 is after 2024-01-01 (column 23)\n"
        "  last_reply_at between 2024-03-31 and 2024-01-01\n"
        "                        ^^^^^^^^^^",
    ),
    (
        "empty list",
        "owner in []",
        "the list is empty; name one or more texts in quotes (column 10)\n"
        "  owner in []\n"
        "           ^",
    ),
    (
        "at least zero",
        "replied to at least 0 emails",
        "expected a whole number of at least 1 after 'at least', found 0 (column 21)\n"
        "  replied to at least 0 emails\n"
        "                      ^",
    ),
    (
        "more than the list holds",
        'replied to at least 3 of ["a", "b"]',
        "at least 3 of 2 emails can never be true (column 26)\n"
        '  replied to at least 3 of ["a", "b"]\n'
        "                           ^",
    ),
    (
        "unterminated text",
        'owner = "abc',
        'this text has no closing " (column 9)\n  owner = "abc\n          ^^^^',
    ),
    (
        "list after equals",
        'owner = ["a"]',
        'to compare with a list, write owner in [...] (column 9)\n  owner = ["a"]\n          ^',
    ),
    (
        "within without last",
        "last_reply_at within 30 days",
        "expected 'last' after 'within', found 30 (column 22)\n"
        "  last_reply_at within 30 days\n"
        "                       ^^",
    ),
    (
        "stray character",
        "owner @",
        "unexpected character '@' (column 7)\n  owner @\n        ^",
    ),
    (
        "missing operator after a field",
        "score",
        "expected '=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'between', 'is known'"
        " or 'is unknown' after 'score', found the end of the segment (column 6)\n"
        "  score\n"
        "       ^",
    ),
    (
        "second line",
        "owner is known\nand vip = maybe",
        "expected 'true' or 'false' after '=', found 'maybe' (line 2, column 11)\n"
        "  and vip = maybe\n"
        "            ^^^^^",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_a_mistake_is_explained_in_the_languages_own_words(text: str, message: str) -> None:
    assert str(error(text)) == message


def test_there_are_at_least_fifteen_kinds_of_mistakes_with_their_messages() -> None:
    assert len({m[0] for m in MISTAKES}) >= 15


def test_the_error_carries_position_caret_expected_tokens_and_suggestion() -> None:
    caught = error('owner = "a" and\n  ownr is known')
    assert (caught.position, caught.end, caught.line, caught.column) == (18, 22, 2, 3)
    assert caught.caret == "  ^^^^"
    assert caught.suggestion == "owner"
    assert error('replied to "a" or').expected == ("a condition", "not", "(")
    assert error("last_reply_at within last 2 wekes").suggestion == "weeks"


def test_the_error_is_a_replytrack_error_and_a_value_error() -> None:
    assert isinstance(error(""), ReplytrackError)
    assert isinstance(error(""), ValueError)


def test_email_ids_are_only_checked_when_the_known_ids_are_given() -> None:
    assert str(parse('replied to "anything"')) == 'replied to "anything"'


def test_an_unknown_time_zone_is_a_configuration_error_with_the_closest_name() -> None:
    with pytest.raises(
        ConfigurationError, match="unknown time zone 'Europe/Warsw'; did you mean 'Europe/Warsaw'"
    ):
        parse("owner is known", tz="Europe/Warsw")


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"sent": "text"}, "property name 'sent' is taken by the segment language; rename it"),
        ({"owner": "text"}, "property name 'owner' is taken by the segment language; rename it"),
        ({"x y": "text"}, "property name 'x y' is not a name: use letters, digits and underscores"),
        (
            {"x": "strng"},
            "property 'x' has type 'strng'; a property is 'text', 'number' or 'boolean'",
        ),
        ({"x": "nmber"}, "did you mean 'number'?"),
    ],
)
def test_a_bad_property_declaration_is_refused(properties: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Schema(properties)
    assert message in str(caught.value)
