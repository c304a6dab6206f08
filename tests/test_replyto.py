"""Reply-To validation, send planning and per-recipient resolution (replytrack.replyto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from replytrack import (
    ConfigurationError,
    Contact,
    Inbox,
    MarketingEmail,
    MemoryStore,
    ReplyTo,
    Tracker,
)
from replytrack.replyto import (
    Problem,
    ProblemCode,
    plan_sends,
    resolve_reply_to,
    validate,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=10)

SALES = Inbox(
    id="sales",
    address="sales@example.com",
    aliases=("hello@example.com",),
    send_as=("news@example.com",),
    member_ids=("u-ann", "u-bob"),
    connected_at=T0,
)
JANE = Inbox(
    id="jane", address="jane.doe@gmail.com", kind="personal", owner_id="u-jane", connected_at=T0
)
CARL = Inbox(
    id="carl",
    address="carl@contoso.com",
    kind="personal",
    owner_id="u-carl",
    provider="outlook",
    connected_at=T0,
)
OLD = Inbox(
    id="old", address="old@example.com", connected_at=T0, disconnected_at=T0 + timedelta(days=1)
)
INBOXES = (SALES, JANE, CARL, OLD)


def email(reply_to: ReplyTo, from_address: str = "marketing@example.com") -> MarketingEmail:
    return MarketingEmail(
        id="spring", subject="Spring", from_address=from_address, reply_to=reply_to
    )


def to(address: str) -> MarketingEmail:
    return email(ReplyTo.inbox(address))


def contact(cid: str, owner: str | None = None) -> Contact:
    return Contact(id=cid, emails=(f"{cid}@customer.example",), owner_id=owner)


def only_problem(address: str, inboxes: tuple[Inbox, ...] = INBOXES) -> Problem:
    report = validate(to(address), inboxes, NOW)
    assert len(report.problems) == 1, report.problems
    return report.problems[0]


# -- the codes ----------------------------------------------------------------------------
def test_the_problem_codes_are_the_stable_strings_stored_on_sends() -> None:
    assert sorted(code.value for code in ProblemCode) == [
        "inbox-disconnected",
        "invalid-address",
        "no-connected-inbox",
        "owner-without-inbox",
        "reply-to-is-alias",
        "reply-to-not-connected",
    ]


def test_a_reply_to_that_is_a_connected_inbox_has_no_problem() -> None:
    report = validate(to("sales@example.com"), INBOXES, NOW)
    assert (report.ok, report.problems) == (True, ())


@pytest.mark.parametrize(
    "spelling",
    [
        "Sales Team <sales@example.com>",
        "sales@EXAMPLE.com",
        "SALES@example.com",
        '"sales"@example.com',
    ],
)
def test_display_names_domain_case_and_needless_quotes_still_name_the_inbox(spelling: str) -> None:
    resolution = resolve_reply_to(to(spelling), contact("c1"), INBOXES, NOW)
    assert (resolution.tracked, resolution.inbox_id, resolution.address) == (
        True,
        "sales",
        "sales@example.com",
    )


@pytest.mark.parametrize(
    ("stored", "written"),
    [("info@münchen.de", "info@xn--mnchen-3ya.de"), ("info@xn--mnchen-3ya.de", "info@MÜNCHEN.de")],
)
def test_an_idn_domain_matches_in_unicode_and_in_punycode(stored: str, written: str) -> None:
    inbox = Inbox(id="idn", address=stored, connected_at=T0)
    assert resolve_reply_to(to(written), contact("c1"), [inbox], NOW).inbox_id == "idn"


def test_nothing_connected_is_no_connected_inbox() -> None:
    problem = only_problem("sales@example.com", ())
    assert (problem.code, problem.severity, problem.address) == (
        ProblemCode.NO_CONNECTED_INBOX,
        "error",
        "sales@example.com",
    )
    assert "Connect sales@example.com" in problem.fix


def test_an_inbox_that_connects_later_does_not_count_now() -> None:
    later = attrs.evolve(SALES, connected_at=NOW + timedelta(hours=1))
    assert only_problem("sales@example.com", (later,)).code is ProblemCode.NO_CONNECTED_INBOX


def test_an_unknown_reply_to_is_not_connected_and_a_connected_inbox_is_offered() -> None:
    problem = only_problem("support@example.com")
    assert problem.code is ProblemCode.REPLY_TO_NOT_CONNECTED
    assert problem.use_instead == "sales@example.com"
    assert "support@example.com" in problem.message
    assert "set Reply-To to sales@example.com" in problem.fix


def test_the_offered_inbox_is_on_the_reply_to_domain_when_one_is() -> None:
    assert only_problem("ops@contoso.com").use_instead == "carl@contoso.com"


def test_with_use_from_the_from_address_is_checked_and_named() -> None:
    report = validate(email(ReplyTo.from_address(), "promo@example.com"), INBOXES, NOW)
    (problem,) = report.problems
    assert problem.code is ProblemCode.REPLY_TO_NOT_CONNECTED
    assert problem.message.startswith("From promo@example.com (the email uses its From address")
    assert "turn off 'use my From address as Reply-To'" in problem.fix


def test_with_use_from_a_connected_from_address_is_tracked() -> None:
    send_from_sales = email(ReplyTo.from_address(), "Sales <sales@example.com>")
    assert validate(send_from_sales, INBOXES, NOW).ok
    assert resolve_reply_to(send_from_sales, contact("c1"), INBOXES, NOW).inbox_id == "sales"


@pytest.mark.parametrize(
    ("spelling", "real", "how"),
    [
        ("hello@example.com", "sales@example.com", "a registered alias"),
        ("news@example.com", "sales@example.com", "a send-as address of the inbox"),
        ("janedoe@gmail.com", "jane.doe@gmail.com", "(Gmail ignores dots before the @)"),
        ("jane.doe+spring@gmail.com", "jane.doe@gmail.com", "(Gmail ignores a +tag before the @)"),
        (
            "Jane.Doe@googlemail.com",
            "jane.doe@gmail.com",
            "(Gmail ignores case before the @; googlemail.com is gmail.com)",
        ),
        (
            "J.aneDoe+x@gmail.com",
            "jane.doe@gmail.com",
            "(Gmail ignores dots, a +tag and case before the @)",
        ),
        ("carl+crm@contoso.com", "carl@contoso.com", "(Outlook ignores a +tag before the @)"),
    ],
)
def test_an_alias_of_a_connected_inbox_names_the_real_address(
    spelling: str, real: str, how: str
) -> None:
    problem = only_problem(spelling)
    assert (problem.code, problem.use_instead) == (ProblemCode.REPLY_TO_IS_ALIAS, real)
    assert how in problem.message
    assert problem.fix == f"Set Reply-To to {real}."


def test_outlook_com_plus_addressing_is_an_alias() -> None:
    hotmail = Inbox(id="h", address="max@hotmail.com", connected_at=T0)
    assert only_problem("max+promo@hotmail.com", (hotmail,)).code is ProblemCode.REPLY_TO_IS_ALIAS


def test_a_plus_tag_is_not_an_alias_at_a_provider_that_does_not_strip_it() -> None:
    problem = only_problem("sales+spring@example.com")
    assert problem.code is ProblemCode.REPLY_TO_NOT_CONNECTED


def test_dots_matter_outside_gmail() -> None:
    assert only_problem("c.arl@contoso.com").code is ProblemCode.REPLY_TO_NOT_CONNECTED


def test_an_alias_of_a_gmail_spelling_of_a_registered_alias_is_an_alias_too() -> None:
    gmail = Inbox(id="g", address="team@gmail.com", aliases=("pr.team@gmail.com",), connected_at=T0)
    assert only_problem("prteam+x@gmail.com", (gmail,)).use_instead == "team@gmail.com"


def test_a_disconnected_inbox_is_inbox_disconnected_and_another_inbox_is_offered() -> None:
    problem = only_problem("old@example.com")
    assert problem.code is ProblemCode.INBOX_DISCONNECTED
    assert "disconnected since 2026-03-02T09:00:00+00:00" in problem.message
    assert (problem.use_instead, problem.fix) == (
        "sales@example.com",
        "Reconnect old@example.com, or set Reply-To to sales@example.com.",
    )


def test_a_disconnected_inbox_when_nothing_else_is_connected_is_still_named() -> None:
    problem = only_problem("old@example.com", (OLD,))
    assert (problem.code, problem.use_instead) == (ProblemCode.INBOX_DISCONNECTED, None)


def test_an_alias_of_a_disconnected_inbox_is_inbox_disconnected() -> None:
    gone = attrs.evolve(SALES, disconnected_at=T0 + timedelta(days=1))
    problem = only_problem("hello@example.com", (gone, JANE))
    assert problem.code is ProblemCode.INBOX_DISCONNECTED
    assert "belongs to the inbox sales@example.com" in problem.message


def test_an_invalid_reply_to_says_where_the_problem_is() -> None:
    problem = only_problem("sales@@example.com")
    assert (problem.code, problem.position, problem.address) == (
        ProblemCode.INVALID_ADDRESS,
        6,
        "sales@@example.com",
    )
    assert "a second '@' at position 6" in problem.message


def test_an_empty_reply_to_is_refused_when_it_is_built() -> None:
    with pytest.raises(ConfigurationError, match="takes the address of a connected inbox"):
        ReplyTo.inbox("")


def test_an_invalid_from_address_is_reported_once_even_when_it_is_the_reply_to() -> None:
    report = validate(email(ReplyTo.from_address(), "promo.example.com"), INBOXES, NOW)
    assert report.codes == ["invalid-address"]
    assert report.problems[0].message.startswith("From 'promo.example.com'")


def test_an_invalid_from_address_is_reported_next_to_a_good_reply_to() -> None:
    report = validate(email(ReplyTo.inbox("sales@example.com"), "<promo"), INBOXES, NOW)
    assert (report.ok, report.codes) == (False, ["invalid-address"])


def test_an_invalid_reply_to_is_untracked_at_send_time_with_the_same_code() -> None:
    resolution = resolve_reply_to(to("nope"), contact("c1"), INBOXES, NOW)
    assert (resolution.tracked, resolution.reason, resolution.address) == (
        False,
        "invalid-address",
        "nope",
    )


# -- Reply-To = contact owner -------------------------------------------------------------
OWNER_MODE = email(ReplyTo.contact_owner())


def test_a_contact_owner_with_a_connected_personal_inbox_gets_it_as_reply_to() -> None:
    resolution = resolve_reply_to(OWNER_MODE, contact("c1", "u-jane"), INBOXES, NOW)
    assert (resolution.address, resolution.inbox_id) == ("jane.doe@gmail.com", "jane")


def test_a_contact_without_owner_is_owner_without_inbox() -> None:
    resolution = resolve_reply_to(OWNER_MODE, contact("c1"), INBOXES, NOW)
    assert (resolution.tracked, resolution.reason, resolution.address) == (
        False,
        "owner-without-inbox",
        None,
    )
    assert resolution.problem is not None
    assert "has no owner" in resolution.problem.message


def test_an_owner_who_only_shares_a_team_inbox_is_told_it_does_not_count() -> None:
    resolution = resolve_reply_to(OWNER_MODE, contact("c1", "u-ann"), INBOXES, NOW)
    assert resolution.problem is not None
    assert resolution.problem.code is ProblemCode.OWNER_WITHOUT_INBOX
    assert "They share the team inbox sales@example.com" in resolution.problem.message
    assert resolution.problem.use_instead == "sales@example.com"


def test_an_owner_with_two_connected_inboxes_gets_the_one_connected_first() -> None:
    second = Inbox(
        id="jane2",
        address="jane@acme.io",
        kind="personal",
        owner_id="u-jane",
        connected_at=T0 - timedelta(days=1),
    )
    resolution = resolve_reply_to(OWNER_MODE, contact("c1", "u-jane"), (*INBOXES, second), NOW)
    assert resolution.inbox_id == "jane2"


def test_an_owner_with_two_inboxes_one_disconnected_gets_the_other() -> None:
    gone = Inbox(
        id="jane-old",
        address="jane@acme.io",
        kind="personal",
        owner_id="u-jane",
        connected_at=T0 - timedelta(days=1),
        disconnected_at=T0,
    )
    resolution = resolve_reply_to(OWNER_MODE, contact("c1", "u-jane"), (*INBOXES, gone), NOW)
    assert resolution.inbox_id == "jane"


def test_an_owner_whose_only_inbox_was_disconnected_is_inbox_disconnected() -> None:
    gone = attrs.evolve(JANE, disconnected_at=T0 + timedelta(days=1))
    resolution = resolve_reply_to(OWNER_MODE, contact("c1", "u-jane"), (gone,), NOW)
    assert (resolution.reason, resolution.address) == ("inbox-disconnected", None)


def test_validating_owner_mode_with_no_personal_inbox_connected_is_an_error() -> None:
    report = validate(OWNER_MODE, (SALES,), NOW)
    assert (report.ok, report.codes) == (False, ["owner-without-inbox"])


def test_validating_owner_mode_with_nothing_connected_is_no_connected_inbox() -> None:
    assert validate(OWNER_MODE, (OLD,), NOW).codes == ["no-connected-inbox"]


# -- plans --------------------------------------------------------------------------------
def test_a_plan_lists_each_recipient_with_its_reply_to_and_why_it_is_untracked() -> None:
    contacts = [contact("c1", "u-jane"), contact("c2", "u-carl"), contact("c3", "u-ann")]
    plan = plan_sends(OWNER_MODE, contacts, INBOXES, NOW)
    assert [(s.contact_id, s.to, s.reply_to, s.tracked, s.reason) for s in plan.sends] == [
        ("c1", "c1@customer.example", "jane.doe@gmail.com", True, None),
        ("c2", "c2@customer.example", "carl@contoso.com", True, None),
        ("c3", "c3@customer.example", None, False, "owner-without-inbox"),
    ]
    assert (plan.tracked, dict(plan.untracked_reasons)) == (2, {"owner-without-inbox": 1})


def test_untracked_recipients_are_warnings_so_the_email_can_still_go_to_everyone() -> None:
    plan = plan_sends(OWNER_MODE, [contact("c1", "u-jane"), contact("c2")], INBOXES, NOW)
    assert plan.ok
    assert [(p.code.value, p.severity, p.contact_id, p.address) for p in plan.problems] == [
        ("owner-without-inbox", "warning", "c2", "c2@customer.example")
    ]


def test_a_team_inbox_shared_by_several_users_tracks_every_owners_contacts() -> None:
    contacts = [contact("c1", "u-ann"), contact("c2", "u-bob"), contact("c3")]
    plan = plan_sends(to("sales@example.com"), contacts, INBOXES, NOW)
    assert [s.resolution.inbox_id for s in plan.sends] == ["sales", "sales", "sales"]
    assert (plan.ok, plan.problems) == (True, ())


def test_a_plan_for_a_bad_reply_to_carries_the_email_problem_once() -> None:
    plan = plan_sends(to("hello@example.com"), [contact("c1"), contact("c2")], INBOXES, NOW)
    assert [p.code for p in plan.problems] == [ProblemCode.REPLY_TO_IS_ALIAS]
    assert dict(plan.untracked_reasons) == {"reply-to-is-alias": 2}


@pytest.mark.parametrize(
    "reply_to",
    [
        ReplyTo.inbox("sales@example.com"),
        ReplyTo.inbox("janedoe@gmail.com"),
        ReplyTo.inbox("old@example.com"),
        ReplyTo.inbox("x@@y"),
        ReplyTo.from_address(),
        ReplyTo.contact_owner(),
    ],
)
def test_a_plan_agrees_with_send_time_resolution(reply_to: ReplyTo) -> None:
    contacts = [contact("c1", "u-jane"), contact("c2", "u-ann"), contact("c3")]
    plan = plan_sends(email(reply_to), contacts, INBOXES, NOW)
    at_send = [resolve_reply_to(email(reply_to), c, INBOXES, NOW) for c in contacts]
    assert [s.resolution for s in plan.sends] == at_send


def test_an_inbox_disconnected_between_planning_and_sending_is_untracked_at_send() -> None:
    planned_at, disconnected, sent_at = NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    later = (attrs.evolve(SALES, disconnected_at=disconnected),)
    plan = plan_sends(to("sales@example.com"), [contact("c1")], later, planned_at)
    resolution = resolve_reply_to(to("sales@example.com"), contact("c1"), later, sent_at)
    assert (plan.sends[0].tracked, resolution.tracked, resolution.reason) == (
        True,
        False,
        "inbox-disconnected",
    )


def test_an_owner_whose_inbox_was_disconnected_after_planning_is_untracked_at_send() -> None:
    planned_at, disconnected, sent_at = NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    later = (attrs.evolve(JANE, disconnected_at=disconnected),)
    plan = plan_sends(OWNER_MODE, [contact("c1", "u-jane")], later, planned_at)
    resolution = resolve_reply_to(OWNER_MODE, contact("c1", "u-jane"), later, sent_at)
    assert (plan.sends[0].reply_to, plan.sends[0].tracked) == ("jane.doe@gmail.com", True)
    assert (resolution.tracked, resolution.reason) == (False, "inbox-disconnected")


def test_record_send_stores_the_resolution_and_the_report_counts_it_by_reason() -> None:
    tracker = Tracker(MemoryStore(), secret=b"s" * 32, domain="mail.example.com")
    tracker.connect_inbox(attrs.evolve(JANE, connected_at=None), connected_at=T0)
    contacts = [contact("c1", "u-jane"), contact("c2", "u-jane")]
    inboxes = tracker.store.list_inboxes(tracker.tenant)
    assert plan_sends(OWNER_MODE, contacts, inboxes, NOW).tracked == 2
    tracker.disconnect_inbox("jane", disconnected_at=NOW + timedelta(hours=1))
    sends = tracker.record_sends(OWNER_MODE, contacts, sent_at=NOW + timedelta(hours=2))
    assert [(s.tracked, s.untracked_reason) for s in sends] == [(False, "inbox-disconnected")] * 2
    assert dict(tracker.report("spring").untracked_reasons) == {"inbox-disconnected": 2}


# -- arguments ----------------------------------------------------------------------------
def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="when must be timezone-aware"):
        validate(to("sales@example.com"), INBOXES, datetime(2026, 3, 1))


def test_an_unknown_inbox_provider_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="provider must be 'gmail', 'outlook' or None"):
        Inbox(id="x", address="x@example.com", provider="yahoo")  # type: ignore[arg-type]
