"""Segments compiled to one parameterised SQL condition over ``contacts c``, for SQLite
and PostgreSQL.

Rules that keep the answer equal to the in-memory evaluator:

* every condition is NULL-free (a guard or an ``IN (subquery)`` over NOT NULL
  columns), so ``NOT`` is the exact complement, as in memory;
* every value is a bound parameter; column and table names come only from the
  fixed tables below, and property names are bound too (a JSON path parameter);
* contact text is compared in the ``seg_*`` columns the store fills with
  :func:`replytrack.segments.segment_values` (casefolded in Python, not by SQL's
  ``lower()``); numbers compare as doubles, as in memory;
* times are the microseconds of :mod:`._time`, resolved in Python from the
  caller's ``now``: the SQL never reads the database's clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import attrs

from replytrack.models import MessageKind
from replytrack.segments import _ast as a
from replytrack.segments._fields import BUILTIN, CONTACT_FIELDS, FieldType, fold, typed_key
from replytrack.segments._segment import Segment
from replytrack.segments._time import Interval, resolve

__all__ = ["Compiled", "Dialect", "compile_segment"]

Dialect = Literal["sqlite", "postgres"]
_DOUBLE = "DOUBLE PRECISION"
_HUMAN = MessageKind.HUMAN.value
_COLUMNS = {"owner": "c.seg_owner", "email": "c.seg_email", "email_domain": "c.seg_domain"}
_STATS = {
    "first_reply_at": "first_reply_at",
    "last_reply_at": "last_reply_at",
    "reply_count": "reply_count",
    "emails_replied": "emails_replied",
}


@attrs.frozen
class Compiled:
    """A condition over ``contacts c`` and its parameters, in order (``?`` placeholders)."""

    where: str
    params: tuple[Any, ...]

    def select(self, what: str = "c.id") -> tuple[str, tuple[Any, ...]]:
        """``SELECT what FROM contacts c`` of one tenant where the condition holds; the
        tenant is the first parameter."""
        return f"SELECT {what} FROM contacts c WHERE c.tenant = ? AND {self.where}", self.params


def compile_segment(segment: Segment, now: datetime, tenant: str, dialect: Dialect) -> Compiled:
    """``segment`` at ``now`` as SQL for ``dialect``, over ``tenant``'s rows."""
    builder = _Builder(segment, now, tenant, dialect)
    where = builder.node(segment.expr)
    assert where.count("?") == len(builder.params), "a placeholder without its value"
    return Compiled(where, (tenant, *builder.params))


@attrs.define
class _Builder:
    segment: Segment
    now: datetime
    tenant: str
    dialect: Dialect
    params: list[Any] = attrs.field(factory=list)

    def bind(self, value: Any, kind: str = "text") -> str:
        """A placeholder for ``value``; PostgreSQL gets its type, so no guessing."""
        self.params.append(value)
        if self.dialect == "sqlite":
            return "?"
        return f"CAST(? AS {kind})"

    def interval(self, window: a.TimeRange) -> Interval:
        return resolve(window, self.now, self.segment.zone)

    def between(self, column: str, interval: Interval) -> str:
        low, high = interval
        parts = []
        if low is not None:
            parts.append(f"{column} >= {self.bind(low, 'bigint')}")
        if high is not None:
            parts.append(f"{column} < {self.bind(high, 'bigint')}")
        return " AND ".join(parts) or "TRUE"

    def members(self, sql: str) -> str:
        """``c.id IN (...)`` for a subquery of contact ids (never NULL)."""
        return f"c.id IN ({sql})"

    # -- logic ---------------------------------------------------------------------
    def node(self, node: a.Node) -> str:
        if isinstance(node, a.Or | a.And):
            joiner = " OR " if isinstance(node, a.Or) else " AND "
            return "(" + joiner.join(self.node(item) for item in node.items) + ")"
        if isinstance(node, a.Not):
            return f"(NOT {self.node(node.item)})"
        if isinstance(node, a.Replied):
            return self.replied(node)
        if isinstance(node, a.Sent):
            return self.sent(node)
        field: str = node.field
        if field in _STATS:
            return self.stats(node, field)
        return self.contact(node, field)

    # -- reply facts -------------------------------------------------------------------
    def emails(self, emails: tuple[str, ...] | None) -> str:
        if emails is None:
            return ""
        marks = ", ".join(self.bind(e) for e in emails)
        return f" AND email_id IN ({marks})"

    def replied(self, node: a.Replied) -> str:
        tenant = self.bind(self.tenant)
        if node.window is None:
            if node.emails is None:
                column = "reply_count" if node.at_least == 1 else "emails_replied"
                need = self.bind(node.at_least, "bigint")
                return self.members(
                    f"SELECT contact_id FROM contact_stats WHERE tenant = {tenant}"
                    f" AND {column} >= {need}"
                )
            sql = (
                f"SELECT contact_id FROM reply_pairs WHERE tenant = {tenant}"
                f"{self.emails(node.emails)} AND replies > 0"
            )
        else:  # placeholders are positional: bind in the order they appear
            sql = f"SELECT contact_id FROM replies WHERE tenant = {tenant}"
            sql += f"{self.emails(node.emails)} AND kind = {self.bind(_HUMAN)}"
            sql += f" AND {self.between('received_at', self.interval(node.window))}"
            if node.at_least > 1:
                sql += " GROUP BY contact_id HAVING COUNT(DISTINCT email_id) >= "
                return self.members(sql + self.bind(node.at_least, "bigint"))
        if node.at_least > 1:
            sql += f" GROUP BY contact_id HAVING COUNT(*) >= {self.bind(node.at_least, 'bigint')}"
        return self.members(sql)

    def sent(self, node: a.Sent) -> str:
        tenant = self.bind(self.tenant)
        sql = f"SELECT contact_id FROM sends WHERE tenant = {tenant}{self.emails(node.emails)}"
        if node.window is not None:
            sql += f" AND {self.between('sent_at', self.interval(node.window))}"
        return self.members(sql)

    def stats(self, node: a.Node, field: str) -> str:
        """A condition on a kept per-contact aggregate. A contact without a row has
        no reply times and counts of 0: when 0 passes the test, the contacts in the
        segment are those *without* a row that fails it."""
        column = _STATS[field]
        from_stats = f"SELECT contact_id FROM contact_stats WHERE tenant = {self.bind(self.tenant)}"
        if BUILTIN[field] == "time":
            return self.members(f"{from_stats} AND {self.time_test(node, column)}")
        test, passes_at_zero = self.number_test(node, f"CAST({column} AS {_DOUBLE})")
        if not passes_at_zero:
            return self.members(f"{from_stats} AND {test}")
        return f"(NOT {self.members(f'{from_stats} AND NOT ({test})')})"

    def time_test(self, node: a.Node, column: str) -> str:
        if isinstance(node, a.Known):
            return f"{column} IS NOT NULL"
        assert isinstance(node, a.When), node
        return self.between(column, self.interval(node.range))

    def number_test(self, node: a.Node, value: str) -> tuple[str, bool]:
        """The test on a number (``value`` is read once: it may hold a bound path), and
        whether a value of 0 passes it."""
        if isinstance(node, a.Known):
            return "TRUE", True
        if isinstance(node, a.Compare):
            right = float(node.value)
            sql = f"{value} {node.op} {self.bind(right, _DOUBLE)}"
            return sql, _compare(node.op, 0.0, right)
        if isinstance(node, a.Among):
            values = [float(v) for v in node.values]
            sql = f"{value} IN ({', '.join(self.bind(v, _DOUBLE) for v in values)})"
            return sql, 0.0 in values
        assert isinstance(node, a.NumberRange), node
        low, high = float(node.low), float(node.high)
        sql = f"{value} BETWEEN {self.bind(low, _DOUBLE)} AND {self.bind(high, _DOUBLE)}"
        return sql, low <= 0.0 <= high

    # -- contact fields --------------------------------------------------------------------
    def contact(self, node: a.Node, field: str) -> str:
        """A test of a contact field, read once: NULL when unknown, and COALESCE makes the
        answer FALSE then. A property is kept under a key naming its type ("n:score"),
        so a value of another type is simply absent."""
        kind = self.segment.schema.type_of(field)
        assert kind is not None, field
        assert kind != "time", field
        value = self.value(field, kind)
        if isinstance(node, a.Known) or (isinstance(node, a.TextMatch) and not node.value):
            return f"({value} IS NOT NULL)"  # every text contains, starts and ends with ""
        return f"COALESCE({self.value_test(node, value, kind)}, FALSE)"

    def value(self, field: str, kind: FieldType) -> str:
        """SQL for the field's value, NULL when it is unknown (its path bound)."""
        if field in CONTACT_FIELDS:
            return _COLUMNS[field]
        key = typed_key(field, kind)
        if self.dialect == "sqlite":
            path = self.bind('$."' + key + '"')
            extract = f"json_extract(c.seg_props, {path})"
            return f"CAST({extract} AS {_DOUBLE})" if kind == "number" else extract
        if kind == "text":
            return f"(c.seg_props ->> {self.bind(key)})"
        cast = _DOUBLE if kind == "number" else "BOOLEAN"
        return f"CAST(c.seg_props ->> {self.bind(key)} AS {cast})"

    def value_test(self, node: a.Node, value: str, kind: FieldType) -> str:
        if kind == "number":
            return self.number_test(node, value)[0]
        if isinstance(node, a.Compare):
            literal = node.value
            if kind == "boolean":
                flag = int(literal) if self.dialect == "sqlite" else bool(literal)
                return f"{value} = {self.bind(flag, 'BOOLEAN')}"
            return f"{value} = {self.bind(fold(str(literal)))}"
        if isinstance(node, a.Among):
            return f"{value} IN ({', '.join(self.bind(fold(str(v))) for v in node.values)})"
        assert isinstance(node, a.TextMatch), node
        needle = fold(node.value)
        size = len(needle)  # characters, as SQL counts them
        sqlite = self.dialect == "sqlite"
        if node.op == "contains":
            return f"{'instr' if sqlite else 'strpos'}({value}, {self.bind(needle)}) > 0"
        if node.op == "starts with":
            return f"substr({value}, 1, {self.bind(size, 'integer')}) = {self.bind(needle)}"
        if sqlite:  # a negative start counts from the end (the whole text when it is shorter)
            return f"substr({value}, -{self.bind(size, 'integer')}) = {self.bind(needle)}"
        return f"right({value}, {self.bind(size, 'integer')}) = {self.bind(needle)}"


def _compare(op: str, left: float, right: float) -> bool:
    return {
        "=": left == right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]
