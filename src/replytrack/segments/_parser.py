"""A hand-written recursive-descent parser: tokens to :mod:`._ast` nodes.

Grammar (keywords are case-insensitive; ``not`` binds tighter than ``and``,
``and`` tighter than ``or``; there is no implicit operator)::

    segment  := or END
    or       := and ("or" and)*
    and      := unary ("and" unary)*
    unary    := "not" unary | "(" or ")" | replied | sent | field
    replied  := "replied" "to" (targets | "at" "least" N ("emails" | "of" list)) [time]
    sent     := "sent" targets [time]
    targets  := STRING | "any" ["of" list]
    time     := "within" ["the"] "last" N unit | "more" "than" N unit "ago"
              | "before" moment | "after" moment | "on" day | "between" moment "and" moment
    field    := NAME ("=" | "!=" | "<" | "<=" | ">" | ">=") value | NAME ["not"] "in" list
              | NAME ("contains" | "starts" "with" | "ends" "with") STRING
              | NAME "does" "not" ("contain" | "start" "with" | "end" "with") STRING
              | NAME "is" ("known" | "unknown") | NAME "between" value "and" value | NAME time
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, NoReturn

import attrs

from replytrack.errors import SegmentSyntaxError
from replytrack.segments import _ast as a
from replytrack.segments._fields import FieldType, Schema, closest
from replytrack.segments._lexer import Token, tokenize

__all__ = ["parse_expression"]

_TIME_WORDS = ("within", "more", "before", "after", "on", "between")
_OPERATORS: dict[FieldType, tuple[str, ...]] = {
    "text": ("=", "!=", "in", "not in", "contains", "does not contain", "starts with",
             "ends with", "is known", "is unknown"),
    "number": ("=", "!=", "<", "<=", ">", ">=", "in", "not in", "between", "is known",
               "is unknown"),
    "boolean": ("=", "!=", "is known", "is unknown"),
    "time": ("before", "after", "on", "between", "within last", "more than", "is known",
             "is unknown"),
}  # fmt: skip
_A = {"text": "text", "number": "a number", "boolean": "true or false", "time": "a time"}
_VALUE: dict[FieldType, tuple[str, ...]] = {
    "text": ("a text in quotes",),
    "number": ("a number",),
    "boolean": ("true", "false"),
    "time": ("a time",),
}
_UNIT_NAMES = ("minutes", "hours", "days", "weeks")


def parse_expression(text: str, schema: Schema, emails: Collection[str] | None) -> a.Node:
    """The node for ``text``; SegmentSyntaxError says where and why it is not valid."""
    parser = _Parser(text, tokenize(text), schema, None if emails is None else set(emails))
    return parser.segment()


def _words(items: Collection[str]) -> str:
    """Tokens quoted, descriptions ("a number") not: 'and', 'or' or the end of the segment."""
    quoted = [i if i.startswith(("a ", "an ", "the ")) else f"'{i}'" for i in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


@attrs.define
class _Parser:
    text: str
    tokens: list[Token]
    schema: Schema
    emails: set[str] | None
    at: int = 0

    # -- helpers -------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.at]

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "word" and self.tok.text.lower() in words

    def take(self) -> Token:
        token = self.tok
        self.at += 1
        return token

    def fail(
        self,
        message: str,
        token: Token | None = None,
        expected: tuple[str, ...] = (),
        suggestion: str | None = None,
    ) -> NoReturn:
        token = token or self.tok
        raise SegmentSyntaxError(
            message,
            text=self.text,
            position=token.start,
            end=token.end,
            expected=expected,
            suggestion=suggestion,
        )

    def expected(self, *wanted: str, after: str = "") -> NoReturn:
        where = f" after {after}" if after else ""
        self.fail(f"expected {_words(wanted)}{where}, found {self.tok.shown()}", expected=wanted)

    def word(self, word: str, after: str) -> Token:
        if not self.is_word(word):
            self.expected(word, after=after)
        return self.take()

    # -- logic -----------------------------------------------------------------------
    def segment(self) -> a.Node:
        if self.tok.kind == "end":
            self.fail('the segment is empty; write a condition such as replied to "spring"')
        node = self.or_()
        if self.tok.text == ")":
            self.fail("this ')' closes no '('")
        if self.tok.kind != "end":
            self.expected("and", "or", "the end of the segment")
        return node

    def or_(self) -> a.Node:
        items = [self.and_()]
        while self.is_word("or"):
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else a.Or(tuple(items))

    def and_(self) -> a.Node:
        items = [self.unary()]
        while self.is_word("and"):
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else a.And(tuple(items))

    def unary(self) -> a.Node:
        if self.is_word("not"):
            self.take()
            return a.Not(self.unary())
        if self.tok.text == "(" and self.tok.kind == "punct":
            opening = self.take()
            node = self.or_()
            if self.tok.text != ")":
                self.fail(
                    f"expected ')' to close the '(' at column {opening.start + 1},"
                    f" found {self.tok.shown()}",
                    expected=(")",),
                )
            self.take()
            return node
        if self.is_word("replied"):
            return self.replied()
        if self.is_word("sent"):
            return self.sent()
        if self.tok.kind == "word":
            return self.field()
        self.expected("a condition", "not", "(")

    # -- reply facts -------------------------------------------------------------------
    def replied(self) -> a.Node:
        self.take()
        self.word("to", "'replied'")
        if self.is_word("at"):
            self.take()
            self.word("least", "'at'")
            count = self.whole_number("'at least'")
            if self.is_word("email", "emails"):
                self.take()
                return a.Replied(None, count, self.window())
            if not self.is_word("of"):
                self.expected("emails", "of", after=f"'at least {count}'")
            self.take()
            start = self.tok
            listed = self.email_list()
            if count > len(listed):
                self.fail(f"at least {count} of {len(listed)} emails can never be true", start)
            return a.Replied(listed, count, self.window())
        emails = self.targets("an email id in quotes", "any", "at least")
        return a.Replied(emails, 1, self.window())

    def sent(self) -> a.Node:
        self.take()
        return a.Sent(self.targets("an email id in quotes", "any"), self.window())

    def targets(self, *wanted: str) -> tuple[str, ...] | None:
        if self.tok.kind == "string":
            return (self.email(self.take()),)
        if self.is_word("any"):
            self.take()
            if not self.is_word("of"):
                return None
            self.take()
            return self.email_list()
        if self.tok.kind == "word":
            self.fail(
                f"expected {_words(wanted)}, found {self.tok.shown()};"
                f' did you mean "{self.tok.text}"?',
                expected=wanted,
                suggestion=f'"{self.tok.text}"',
            )
        self.expected(*wanted)

    def email(self, token: Token) -> str:
        value = str(token.value)
        if self.emails is not None and value not in self.emails:
            hint = closest(value, sorted(self.emails))
            also = f'; did you mean "{hint}"?' if hint else ""
            self.fail(f"no email has the id {token.text}{also}", token, suggestion=hint)
        return value

    def email_list(self) -> tuple[str, ...]:
        tokens = self.list_of("string", "email ids in quotes", "an email id in quotes")
        return tuple(self.email(t) for t in tokens)

    def list_of(self, kind: str, what: str, one: str) -> list[Token]:
        if self.tok.text != "[":
            self.expected(f"a list of {what} in [ ]")
        opening = self.take()
        items: list[Token] = []
        while True:
            if self.tok.text == "]" and not items:
                self.fail(f"the list is empty; name one or more {what}", opening)
            if self.tok.kind != kind:
                self.expected(one)
            items.append(self.take())
            if self.tok.text == "]":
                self.take()
                return items
            if self.tok.text != ",":
                self.expected(",", "]")
            self.take()

    # -- numbers and times ---------------------------------------------------------------
    def whole_number(self, after: str) -> int:
        token = self.tok
        if token.kind != "number" or not isinstance(token.value, int) or token.value < 1:
            self.expected("a whole number of at least 1", after=after)
        self.take()
        return token.value

    def unit(self, amount: int) -> str:
        token = self.tok
        if token.kind != "word":
            self.expected("minutes", "hours", "days", "weeks", after=str(amount))
        name = token.text.lower()
        if name.rstrip("s") in a.UNITS:
            self.take()
            return name.rstrip("s")
        if name.rstrip("s") in ("month", "year"):
            self.fail(
                f"{token.text} have no fixed length; count days or weeks (within last 30 days),"
                " or name the dates with between"
            )
        hint = closest(name, _UNIT_NAMES)
        also = f"; did you mean '{hint}'?" if hint else "; use minutes, hours, days or weeks"
        self.fail(f"unknown unit '{token.text}'{also}", suggestion=hint)

    def window(self) -> a.TimeRange | None:
        return self.time_range() if self.is_word(*_TIME_WORDS) else None

    def time_range(self) -> a.TimeRange:
        keyword = self.take().text.lower()
        if keyword == "within":
            if self.is_word("the"):
                self.take()
            self.word("last", "'within'")
            amount = self.whole_number("'within last'")
            return a.Within(amount, self.unit(amount))
        if keyword == "more":
            self.word("than", "'more'")
            amount = self.whole_number("'more than'")
            unit = self.unit(amount)
            self.word("ago", f"'more than {amount} {self.tokens[self.at - 1].text}'")
            return a.Ago(amount, unit)
        if keyword == "before":
            return a.Before(self.moment("'before'"))
        if keyword == "after":
            return a.After(self.moment("'after'"))
        if keyword == "on":
            if self.tok.kind == "time":
                self.fail("'on' takes a day; for a span of time write between ... and ...")
            return a.On(self.day("'on'"))
        start_token = self.tok
        start = self.moment("'between'")
        self.word("and", f"'between {start_token.text}'")
        end = self.moment(f"'between {start_token.text} and'")
        _check_order(self, start_token, start, end)
        return a.Between(start, end)

    def moment(self, after: str) -> a.Moment:
        if self.tok.kind == "time":
            return self.take().value  # type: ignore[return-value]
        return self.day(after)

    def day(self, after: str) -> a.Day:
        token = self.tok
        if token.kind == "date":
            self.take()
            return a.Day(token.value)  # type: ignore[arg-type]
        if self.is_word("today", "yesterday"):
            self.take()
            return a.Day(None, 0 if token.text.lower() == "today" else -1)
        self.expected(
            "a date (2024-01-31)", "a time (2024-01-31T09:00Z)", "today", "yesterday", after=after
        )

    # -- fields ------------------------------------------------------------------------
    def field(self) -> a.Node:
        token = self.take()
        name = token.text
        kind = self.schema.type_of(name)
        if kind is None:
            hint = closest(name, self.schema.names())
            also = (
                f"; did you mean '{hint}'?"
                if hint
                else "; declare your contact properties in a Schema"
            )
            self.fail(f"unknown field '{name}'{also}", token, suggestion=hint)
        return _FieldParser(self, name, kind).condition()


def _check_order(parser: _Parser, token: Token, start: a.Moment, end: a.Moment) -> None:
    low: Any = start.value if isinstance(start, a.Day) else start
    high: Any = end.value if isinstance(end, a.Day) else end
    if low is None or high is None or isinstance(low, datetime) != isinstance(high, datetime):
        return
    if low > high:
        parser.fail(
            f"the range is empty: {token.text} is after {parser.tokens[parser.at - 1].text}", token
        )


@attrs.define
class _FieldParser:
    """The operator and value after a field name, checked against the field's type."""

    p: _Parser
    name: str
    kind: FieldType

    def condition(self) -> a.Node:
        p, name, kind = self.p, self.name, self.kind
        tok = p.tok
        if tok.kind == "op":
            return self.comparison()
        if p.is_word("is"):
            p.take()
            if p.is_word("known", "unknown"):
                known = a.Known(name)
                return known if p.take().text.lower() == "known" else a.Not(known)
            if p.tok.kind in ("string", "number") or p.is_word("true", "false"):
                p.fail(
                    f"expected 'known' or 'unknown' after 'is', found {p.tok.shown()};"
                    f" to compare, write {name} = {p.tok.text}",
                    expected=("known", "unknown"),
                    suggestion=f"{name} = {p.tok.text}",
                )
            p.expected("known", "unknown", after="'is'")
        if p.is_word("in"):
            p.take()
            return a.Among(name, self.values())
        if p.is_word("not") and p.tokens[p.at + 1].text.lower() == "in":
            p.take()
            p.take()
            return a.Not(a.Among(name, self.values()))
        if kind == "time" and p.is_word(*_TIME_WORDS):
            return a.When(name, p.time_range())
        if p.is_word("between") and kind == "number":
            p.take()
            low = self.value()
            p.word("and", f"'between {low}'")
            high_token = p.tok
            high = self.value()
            if low > high:
                p.fail(
                    f"the range is empty: {a.quote(low)} is more than {a.quote(high)}", high_token
                )
            return a.NumberRange(name, low, high)
        text_match = self.text_match()
        if text_match is not None:
            return text_match
        if kind != "time" and p.is_word(*_TIME_WORDS) and not p.is_word("between"):
            p.fail(f"'{tok.text}' compares times, and {name} is {_A[kind]}")
        p.expected(*_OPERATORS[kind], after=f"'{name}'")

    def comparison(self) -> a.Node:
        p, name, kind = self.p, self.name, self.kind
        op = p.take()
        if kind == "time":
            p.fail(
                f"{name} is a time: compare it with before, after, on, between, within last"
                " or more than ... ago",
                op,
            )
        if op.text in ("<", "<=", ">", ">=") and kind != "number":
            p.fail(f"'{op.text}' compares numbers, and {name} is {_A[kind]}", op)
        if p.tok.text == "[":
            p.fail(
                f"to compare with a list, write {name} {'not in' if op.text == '!=' else 'in'} [...]"
            )
        compare = a.Compare(name, "=" if op.text == "!=" else op.text, self.value())  # type: ignore[arg-type]
        return a.Not(compare) if op.text == "!=" else compare

    def text_match(self) -> a.Node | None:
        p = self.p
        negated = p.is_word("does")
        if negated:
            p.take()
            p.word("not", "'does'")
            if not p.is_word("contain", "start", "end"):
                p.expected("contain", "start with", "end with", after="'does not'")
            verb = p.take().text.lower()
            op = {"contain": "contains", "start": "starts with", "end": "ends with"}[verb]
            if verb != "contain":
                p.word("with", f"'does not {verb}'")
        elif p.is_word("contains", "starts", "ends"):
            verb = p.take().text.lower()
            op = verb if verb == "contains" else f"{verb} with"
            if verb != "contains":
                p.word("with", f"'{verb}'")
        else:
            return None
        if self.kind != "text":
            p.fail(f"'{op}' needs text, and {self.name} is {_A[self.kind]}", p.tokens[p.at - 1])
        if p.tok.kind != "string":
            self.wrong_value()
        match = a.TextMatch(self.name, op, str(p.take().value))  # type: ignore[arg-type]
        return a.Not(match) if negated else match

    def values(self) -> tuple[Any, ...]:
        p = self.p
        if self.kind in ("boolean", "time"):
            p.fail(
                f"'in' compares text or numbers, and {self.name} is {_A[self.kind]}",
                p.tokens[p.at - 1],
            )
        if p.tok.text != "[":
            p.expected("a list in [ ]", after="'in'")
        if self.kind == "text":
            tokens = p.list_of("string", "texts in quotes", "a text in quotes")
        else:
            tokens = p.list_of("number", "numbers", "a number")
        return tuple(token.value for token in tokens)

    def value(self) -> Any:
        p, tok = self.p, self.p.tok
        if self.kind == "text" and tok.kind == "string":
            return str(p.take().value)
        if self.kind == "number" and tok.kind == "number":
            return p.take().value
        if self.kind == "boolean" and p.is_word("true", "false"):
            return p.take().text.lower() == "true"
        self.wrong_value()

    def wrong_value(self) -> NoReturn:
        p, tok, name = self.p, self.p.tok, self.name
        if self.kind == "text" and tok.kind in ("word", "number", "date", "time"):
            p.fail(
                f'{name} is text: put the value in quotes, "{tok.text}"', suggestion=f'"{tok.text}"'
            )
        if self.kind == "number" and tok.kind == "string" and _is_number(str(tok.value)):
            p.fail(
                f"{name} is a number: write it without quotes, {tok.value}",
                suggestion=str(tok.value),
            )
        if (
            self.kind == "boolean"
            and tok.kind == "string"
            and str(tok.value).lower() in ("true", "false")
        ):
            p.fail(f"{name} is true or false: write it without quotes, {str(tok.value).lower()}")
        p.expected(*_VALUE[self.kind], after=f"'{p.tokens[p.at - 1].text}'")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
