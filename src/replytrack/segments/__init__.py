"""Segments: a small filter language for lists such as "replied to the spring email, not the
summer one, owner is Alice", evaluated in memory or compiled to SQL (see docs/segments.md).

    >>> from replytrack.segments import parse
    >>> str(parse('Replied to "spring" AND NOT owner = "alice"'))
    'replied to "spring" and owner != "alice"'
"""

from replytrack.errors import SegmentSyntaxError
from replytrack.segments._active import ActiveLists, SegmentEvent
from replytrack.segments._fields import Schema, segment_values
from replytrack.segments._query import SegmentQuery, evaluate_in_memory
from replytrack.segments._segment import Segment, parse

__all__ = [
    "ActiveLists",
    "Schema",
    "Segment",
    "SegmentEvent",
    "SegmentQuery",
    "SegmentSyntaxError",
    "evaluate_in_memory",
    "parse",
    "segment_values",
]
