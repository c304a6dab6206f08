"""Address parsing and provider equivalence (replytrack.addresses)."""

from __future__ import annotations

import pytest

from replytrack.addresses import (
    Address,
    InvalidAddress,
    Provider,
    equivalent,
    mailbox_key,
    parse_address,
    provider_of,
)


def parsed(value: str) -> Address:
    result = parse_address(value)
    assert isinstance(result, Address), result
    return result


def invalid(value: str) -> InvalidAddress:
    result = parse_address(value)
    assert isinstance(result, InvalidAddress), result
    return result


# -- parsing ------------------------------------------------------------------------------
def test_a_display_name_is_kept_apart_from_the_address() -> None:
    address = parsed("Sales Team <sales@example.com>")
    assert (address.display_name, address.spec) == ("Sales Team", "sales@example.com")


def test_a_quoted_display_name_may_hold_a_comma() -> None:
    assert parsed('"Doe, Jane" <jane@example.com>').display_name == "Doe, Jane"


def test_the_domain_is_lower_cased_and_the_local_part_keeps_its_case() -> None:
    assert parsed("Jane.Doe@Example.COM").spec == "Jane.Doe@example.com"


def test_quotes_around_a_local_part_are_removed_and_escapes_resolved() -> None:
    assert parsed('"jane"@example.com').local == "jane"
    assert parsed('"jane\\"doe"@example.com').local == 'jane"doe'


def test_a_unicode_domain_is_held_in_punycode_and_shown_in_unicode() -> None:
    address = parsed("jürgen@MÜNCHEN.de")
    assert (address.domain, address.text) == ("xn--mnchen-3ya.de", "jürgen@münchen.de")


def test_parsing_the_same_value_twice_returns_the_cached_result() -> None:
    assert parse_address("cache@example.com") is parse_address("cache@example.com")


@pytest.mark.parametrize(
    ("value", "reason", "position"),
    [
        ("", "the address is empty", None),
        ("jane.example.com", "there is no '@'", 16),
        ("@example.com", "nothing comes before '@'", 0),
        ("jane@", "nothing comes after '@'", 5),
        ("jane@@example.com", "a second '@'", 5),
        (".jane@example.com", "the local part starts with '.'", 0),
        ("jane.@example.com", "the local part ends with '.'", 4),
        ("ja..ne@example.com", "two dots in a row in the local part", 2),
        ("ja ne@example.com", "' ' is not allowed in an unquoted local part", 2),
        ("jane@example..com", "an empty label in the domain (two dots, or a dot at an end)", 13),
        ("jane@-example.com", "a domain label starts or ends with '-'", 5),
        ("jane@exa_mple.com", "'_' is not allowed in a domain", 8),
        ("Jane <jane@example.com", "'<' is never closed", 5),
        ("jane@example.com>", "'>' without '<'", 16),
        ("Jane <jane@example.com> x", "text after '>'", 24),
        ("Jane <ja..ne@example.com>", "two dots in a row in the local part", 8),
        ("a@example.com, b@example.com", "a comma: give one address only", 13),
        ("a@example.com\r\nBcc: b@example.com", "a line break or control character", 13),
        ("jane@[192.0.2.1]", "'[' is not allowed in a domain", 5),
        ("jane@example.com.", "an empty label in the domain (two dots, or a dot at an end)", 17),
    ],
)
def test_an_invalid_address_says_what_is_wrong_and_where(
    value: str, reason: str, position: int | None
) -> None:
    problem = invalid(value)
    assert (problem.reason, problem.position) == (reason, position)


def test_the_description_of_an_invalid_address_puts_a_caret_under_the_problem() -> None:
    lines = invalid("jane@@example.com").describe().splitlines()
    assert lines[1:] == ["  jane@@example.com", "       ^"]


@pytest.mark.parametrize("value", ["a@localhost", "bob@corp.local", "x@site.invalid"])
def test_special_use_domains_that_cannot_receive_mail_are_refused(value: str) -> None:
    problem = invalid(value)
    assert "special-use or reserved name" in problem.reason
    assert problem.position is None


def test_the_test_domain_of_rfc_2606_is_accepted_for_test_suites() -> None:
    assert parsed("qa@example.test").spec == "qa@example.test"


def test_a_quoted_local_part_that_needs_its_quotes_keeps_them_in_the_text() -> None:
    address = parsed('"ja ne"@example.com')
    assert (address.local, address.text) == ("ja ne", '"ja ne"@example.com')


def test_an_encoded_word_display_name_is_not_the_address() -> None:
    assert parsed("=?utf-8?q?J=C3=BCrgen?= <j@example.com>").spec == "j@example.com"


def test_idna_2008_keeps_sharp_s_instead_of_mapping_it_to_ss() -> None:
    assert parsed("x@faß.de").domain == "xn--fa-hia.de"


# -- providers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("domain", "provider"),
    [
        ("gmail.com", "gmail"),
        ("googlemail.com", "gmail"),
        ("outlook.com", "outlook"),
        ("hotmail.co.uk", "outlook"),
        ("live.com", "outlook"),
        ("msn.com", "outlook"),
        ("example.com", None),
        ("live.example.com", None),
    ],
)
def test_consumer_domains_are_recognised_by_name(domain: str, provider: str | None) -> None:
    assert provider_of(domain) == provider


# -- equivalence --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "provider"),
    [
        ("jane.doe@gmail.com", "janedoe@gmail.com", None),
        ("j.a.n.e.d.o.e@gmail.com", "janedoe@gmail.com", None),
        ("janedoe+news@gmail.com", "janedoe@gmail.com", None),
        ("JaneDoe@gmail.com", "janedoe@gmail.com", None),
        ("jane.doe@googlemail.com", "janedoe@gmail.com", None),
        ("jane+x@outlook.com", "jane@outlook.com", None),
        ("jane+x@hotmail.com", "jane@hotmail.com", None),
        ("jane+x@live.com", "jane@live.com", None),
        ("Jane@Outlook.com", "jane@outlook.com", None),
        ("jane+crm@contoso.com", "jane@contoso.com", "outlook"),
        ("jane+crm@acme.io", "jane@acme.io", "gmail"),
        ("jane@EXAMPLE.com", "jane@example.com", None),
        ("jane@münchen.de", "jane@xn--mnchen-3ya.de", None),
        ('"jane"@example.com', "jane@example.com", None),
        ("Jane Doe <jane@example.com>", "jane@example.com", None),
    ],
)
def test_spellings_that_reach_the_same_mailbox_are_equivalent(
    a: str, b: str, provider: Provider | None
) -> None:
    assert equivalent(a, b, provider)


@pytest.mark.parametrize(
    ("a", "b", "provider"),
    [
        ("jane.doe@example.com", "janedoe@example.com", None),
        ("jane.doe@outlook.com", "janedoe@outlook.com", None),
        ("jane.doe@contoso.com", "janedoe@contoso.com", "outlook"),
        ("jane.doe@acme.io", "janedoe@acme.io", "gmail"),
        ("jane+x@example.com", "jane@example.com", None),
        ("Jane@example.com", "jane@example.com", None),
        ("jane@hotmail.com", "jane@outlook.com", None),
        ("jane@gmail.com", "jane@gmail.co.uk", None),
        ('"jane doe"@example.com', "janedoe@example.com", None),
        ("jane@example.com", "jane@@example.com", None),
    ],
)
def test_spellings_that_may_reach_different_mailboxes_are_not_equivalent(
    a: str, b: str, provider: Provider | None
) -> None:
    assert not equivalent(a, b, provider)


def test_the_gmail_key_drops_dots_tags_and_case_and_uses_gmail_com() -> None:
    assert mailbox_key(parsed("Jane.Doe+News@GoogleMail.com")) == "janedoe@gmail.com"


def test_the_key_elsewhere_is_the_address_as_written_with_the_domain_in_ascii() -> None:
    assert mailbox_key(parsed("Jane.Doe+x@Bücher.example")) == "Jane.Doe+x@xn--bcher-kva.example"
