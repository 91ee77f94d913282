"""Events: who did what, where, when, and whether it happened.

``vocabulary`` (types, triggers, CAMEO/PLOVER codes) -> ``actors`` (people, groups,
coreference) -> ``clauses`` (who did what where, per sentence) -> ``time`` (tense, status,
dates) -> ``extract`` (the composition, :func:`extract_events`).
"""

from .extract import extract_events
from .time import resolve_date
from .vocabulary import EVENT_TYPES, STOP_TYPES, EventType

__all__ = ["extract_events", "resolve_date", "EVENT_TYPES", "STOP_TYPES", "EventType"]
