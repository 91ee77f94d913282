"""When an event happened and whether it did: time phrases, tense, aspect, modality, status (pure).

Dates are resolved against the publication date and the clause's tense: "on Monday" in a
past clause is the most recent Monday (the publication day itself counts), in a future
clause the next one. Week phrases date to the Monday of the week with precision ``week``,
month phrases to the 1st with precision ``month``. A clause with no time phrase has no
date: the order of such events comes from the narrative, not from the calendar.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["TimePhrase", "find_time_phrases", "resolve_date", "Modality", "modality", "PLANNED_CUES"]

_WD = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MON = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_NUM = r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+)"
_TIME = re.compile(
    rf"\b(?:"
    rf"(?:earlier|later) (?:this|in the|that) (?:week|month)|(?:this|last|next) (?:week|month|year|weekend)|"
    rf"(?:at|over) the weekend|(?:since|at) the (?:start|beginning|end) of (?:the|this) week|"
    rf"earlier (?:on )?(?:this|in the) week|"
    rf"the (?:same|following|next|previous) (?:day|evening|night|morning|afternoon)|"
    rf"(?:late |early )?(?:later )?that (?:day|evening|night|morning|afternoon)|"
    rf"{_NUM} (?:hours?|days?|weeks?) (?:later|earlier|ago|before|after)|hours (?:later|earlier)|the day before|"
    rf"overnight|yesterday|today|tomorrow|tonight|"
    rf"(?:(?:late|early) )?(?:on |last |next |this |by |until |from )?(?:{_WD})(?: (?:night|morning|evening|afternoon))?|"
    rf"(?:on |by |from |until )?(?:{_MON})[a-z]*\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? (?:19|20)\d\d)?|"
    rf"(?:on |by |from |until )?\d{{1,2}}(?:st|nd|rd|th)? (?:{_MON})[a-z]*(?:,? (?:19|20)\d\d)?|"
    rf"(?:in |since |by |until )?(?:early |late |mid-)?(?:january|february|march|april|june|july|august|september|october|november|december)(?: (?:19|20)\d\d)?|"
    rf"in (?:19|20)\d\d"
    rf")\b",
    re.I,
)


#: Every time phrase holds one of these words (or a digit): a cheap test before the full pattern.
_HINTS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday week weekend month year day days hours hour weeks
    today tomorrow yesterday tonight overnight evening night morning afternoon later earlier ago before after
    january february march april may june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec""".split()
)


@dataclass(frozen=True)
class TimePhrase:
    start: int
    end: int
    text: str


def find_time_phrases(text: str) -> list[TimePhrase]:
    """Time phrases in a sentence, with offsets relative to it.

    >>> [p.text for p in find_time_phrases("He flew to Oslo on Monday and is due in Rome next week.")]
    ['on Monday', 'next week']
    """
    if not _HINTS.intersection(w.strip(".,;:!?\"()’'“”") for w in text.lower().split()) and not any(c.isdigit() for c in text):
        return []  # no word a time phrase could be made of
    out = []
    for m in _TIME.finditer(text):
        t = m.group(0)
        if re.fullmatch(r"(?:in )?may", t, re.I) and not t[:1].isupper() and not t.lower().startswith("in "):
            continue  # the modal verb
        if re.fullmatch(r"march", t, re.I) and t[0].islower():
            continue
        if t.lower() in ("may", "march") and m.start() == 0:
            continue
        out.append(TimePhrase(m.start(), m.end(), t))
    return out


_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10}


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def resolve_date(
    expr: str | None, pub: dt.date | None, *, future: bool = False, previous: dt.date | None = None,
    planned: bool | None = None,
) -> tuple[str | None, str | None]:
    """A time phrase -> (ISO date, precision ``day|week|month|year``) relative to ``pub``.

    ``future`` says the clause is about what is still to come (it decides which Monday
    "on Monday" is); ``previous`` is the date of the event just told, for "the same day"
    or "hours later". No phrase gives no date.

    >>> pub = dt.date(2024, 10, 7)                      # a Monday
    >>> resolve_date("on Wednesday", pub, future=True)
    ('2024-10-09', 'day')
    >>> resolve_date("on Wednesday", pub)
    ('2024-10-02', 'day')
    >>> resolve_date("on Monday", pub)
    ('2024-10-07', 'day')
    >>> resolve_date("this week", dt.date(2023, 9, 15))
    ('2023-09-11', 'week')
    >>> resolve_date("in 2011", None)
    ('2011-01-01', 'year')
    """
    if planned is not None:
        future = future or planned
    if expr is None:
        return None, None
    e = re.sub(r"\s+", " ", expr.lower().strip())
    e = re.sub(r"^(?:on|by|until|from|since|late|early|late on|early on) ", "", e)
    e = re.sub(r"^(?:late|early) ", "", e)
    m = re.fullmatch(r"in ((?:19|20)\d\d)", e)
    if m:
        return f"{m.group(1)}-01-01", "year"
    rel = re.fullmatch(rf"({_NUM}|hours) (hours?|days?|weeks?) (later|earlier|ago|before|after)|hours (later|earlier)", e)
    if rel or re.fullmatch(r"(?:the )?(?:same|following|next|previous) (?:day|evening|night|morning|afternoon)|"
                           r"(?:later )?that (?:day|evening|night|morning|afternoon)|the day before", e):
        return _relative(e, pub, previous)
    if e == "overnight":
        return (pub.isoformat(), "day") if pub else (None, None)
    if pub is None:
        got = _absolute(e, None)
        return (got.isoformat(), "day") if got else (None, None)
    monday = _monday(pub)
    if re.fullmatch(r"(?:at|over) the weekend|this weekend", e):
        # the coming weekend is this week's; a weekend already past (told on a weekday) was last week's
        if not future and pub.weekday() < 5:
            return (monday - dt.timedelta(days=7)).isoformat(), "week"
        return monday.isoformat(), "week"
    if re.fullmatch(r"(?:earlier |later )?(?:this|in the) week|earlier (?:on )?this week|"
                    r"(?:since|at) the (?:start|beginning|end) of (?:the|this) week", e):
        return monday.isoformat(), "week"
    if e in ("last week", "last weekend"):
        return (monday - dt.timedelta(days=7)).isoformat(), "week"
    if e in ("next week", "next weekend"):
        return (monday + dt.timedelta(days=7)).isoformat(), "week"
    if e in ("this month", "last month", "next month", "earlier this month", "later this month"):
        first = pub.replace(day=1)
        if e == "last month":
            first = (first - dt.timedelta(days=1)).replace(day=1)
        elif e == "next month":
            first = (first + dt.timedelta(days=32)).replace(day=1)
        return first.isoformat(), "month"
    if e in ("this year", "last year", "next year"):
        y = pub.year + {"this year": 0, "last year": -1, "next year": 1}[e]
        return f"{y}-01-01", "year"
    if e == "yesterday":
        return (pub - dt.timedelta(days=1)).isoformat(), "day"
    if e in ("today", "tonight"):
        return pub.isoformat(), "day"
    if e == "tomorrow":
        return (pub + dt.timedelta(days=1)).isoformat(), "day"
    m = re.fullmatch(rf"(last |next |this )?({_WD})(?: (?:night|morning|evening|afternoon))?", e)
    if m:
        prefix, wd = (m.group(1) or "").strip(), ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].index(m.group(2))
        if prefix == "next" or (future and prefix != "last"):
            delta = (wd - pub.weekday()) % 7
            if prefix == "next" and delta == 0:
                delta = 7
            return (pub + dt.timedelta(days=delta)).isoformat(), "day"
        delta = (pub.weekday() - wd) % 7
        if prefix == "last" and delta == 0:
            delta = 7
        return (pub - dt.timedelta(days=delta)).isoformat(), "day"
    m = re.fullmatch(r"(?:in |since |by |until )?(?:early |late |mid-)?(january|february|march|april|may|june|july|august|september|october|november|december)(?: ((?:19|20)\d\d))?", e)
    if m:
        month = _MONTHS.index(m.group(1)) + 1
        year = int(m.group(2)) if m.group(2) else pub.year
        if not m.group(2) and future and month < pub.month:
            year += 1
        elif not m.group(2) and not future and month > pub.month:
            year -= 1
        return f"{year}-{month:02d}-01", "month"
    got = _absolute(e, pub)
    return (got.isoformat(), "day") if got else (None, None)


def _relative(e: str, pub: dt.date | None, previous: dt.date | None) -> tuple[str | None, str | None]:
    base = previous or pub
    if base is None:
        return None, None
    m = re.match(rf"({_NUM}) (hours?|days?|weeks?) (later|earlier|ago|before|after)", e)
    if m:
        n = _NUMBERS.get(m.group(1), None) or (int(m.group(1)) if m.group(1).isdigit() else 1)
        unit = m.group(2)
        days = 0 if unit.startswith("hour") else n * (7 if unit.startswith("week") else 1)
        if m.group(3) == "ago":
            base = pub or base
        sign = 1 if m.group(3) in ("later", "after") else -1
        d = base + dt.timedelta(days=sign * days)
        return d.isoformat(), "week" if unit.startswith("week") else "day"
    if "following" in e or "next" in e:
        return (base + dt.timedelta(days=1)).isoformat(), "day"
    if "previous" in e or "day before" in e:
        return (base - dt.timedelta(days=1)).isoformat(), "day"
    return base.isoformat(), "day"  # "the same day", "hours later", "that evening"


_MONTH_NUM = {m[:3]: k for k, m in enumerate(_MONTHS, 1)}
_MONTH_DAY = re.compile(r"(?P<m>[a-z]{3})[a-z]*\.? (?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,? (?P<y>(?:19|20)\d\d))?")
_DAY_MONTH = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)? (?P<m>[a-z]{3})[a-z]*\.?(?:,? (?P<y>(?:19|20)\d\d))?")


def _absolute(expr: str, pub: dt.date | None) -> dt.date | None:
    m = _MONTH_DAY.fullmatch(expr) or _DAY_MONTH.fullmatch(expr)
    if m and m.group("m") in _MONTH_NUM:  # the common news forms, without the general parser
        if not m.group("y") and pub is None:
            return None
        year = int(m.group("y")) if m.group("y") else pub.year
        try:
            return dt.date(year, _MONTH_NUM[m.group("m")], int(m.group("d")))
        except ValueError:
            return None
    if pub is None and not re.search(r"(19|20)\d\d", expr):
        return None  # nothing to resolve a relative phrase against
    import dateparser

    base = dt.datetime.combine(pub, dt.time()) if pub else dt.datetime(2000, 1, 1)
    got = dateparser.parse(
        expr, languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "current_period", "REQUIRE_PARTS": ["day", "month"]},
    )
    if got is None:
        return None
    if pub is None and not re.search(r"(19|20)\d\d", expr):
        return None
    return got.date()


# ---- tense, aspect and modality --------------------------------------------------------------

#: Words before a verb or a trip noun that put it in the future.
PLANNED_CUES = re.compile(
    r"\b(?:will|shall|'ll|wo|(?:is|are|was|were|am) (?:scheduled|due|expected|set|slated|planning|going|poised|"
    r"tipped|billed|invited|preparing|about) to|(?:is|are|was|were) to|plans? to|planning to|planned to|intends? to|"
    r"intended to|hopes? to|hoped to|aims? to|wants? to|wanted to|prepares? to|expects? to|promised to|vowed to|"
    r"threatened to|pledged to|offered to|agreed to|due to|set to|would|next|upcoming|called for|calls? for|urged|forthcoming|planned|proposed|"
    r"scheduled|expected|intended|coming)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|never|no|n't|neither|nor|without|declined to|refused to|denied|ruled out|no longer|"
                       r"has no|have no|had no|no plans? to|unable to|failed to)\b", re.I)
_HYPOTHETICAL = re.compile(r"\b(?:might|could|may|if|whether|unless|should|would have|in case|possible|possibly|"
                           r"considering|considered|consider|rumou?red|speculation)\b", re.I)
_CANCEL = re.compile(
    r"\b(?:call(?:s|ed|ing)? off|cancel(?:l?ed|s|l?ing)?|postpon(?:ed|es|e|ing)|scrap(?:ped|s)?|shelv(?:ed|es)|"
    r"put off|dropp(?:ed)? from|dropped|axed|abandoned|banned|blocked|prohibited|suspended|delayed indefinitely|"
    r"called-off|rerouted|diverted|turned back|aborted|cut short|deferred|rescheduled|was refused|were refused|struck off|cut from|taken off|"
    r"was denied|were denied|forbidden|halted)\b",
    re.I,
)
_SPEECH_BEFORE = re.compile(r"\b(?:said|says|told|announced|added|stated|warned|confirmed|insisted|vowed|promised|"
                            r"pledged|threatened|claimed)\b(?:[^.;]*)$", re.I)


_TOPIC_PREPS = frozenset("about of on over regarding concerning after following since during despite".split())


@dataclass(frozen=True)
class Modality:
    status: str  # occurred | planned | cancelled | negated | hypothetical
    perfect: bool  # past perfect ("had flown"): told after, happened before
    future: bool


def modality(aux: str, after: str, *, noun: bool = False) -> Modality:
    """Status of a trigger from the words before it in its clause (``aux``) and after it (``after``).

    >>> modality("she is scheduled to", "to Rome").status
    'planned'
    >>> modality("he had", "from Oslo").perfect
    True
    >>> modality("a planned", "to Oslo was called off", noun=True).status
    'cancelled'
    >>> modality("she has no invitation to", "Oslo").status
    'negated'
    """
    aux_l = aux.lower()
    tail = aux_l[-60:]
    words = aux_l.split()
    near_words = words[-6:]
    if noun:  # "would brief X about the discussions": a topic, not what the modal governs
        cut = max((k for k, w in enumerate(near_words) if w in _TOPIC_PREPS), default=-1)
        near_words = near_words[cut + 1 :]
    near = " ".join(near_words) + (" " if aux_l.endswith(" ") else "")  # the verb group before the trigger
    clause = " ".join(words[-10:])
    after_l = after.lower()[: 140 if noun else 70]
    perfect = bool(re.search(r"\bhad(?: \w+){0,2}\s*$", tail) or re.search(r"\bhad been\b", near))
    cancelled = bool(_CANCEL.search(after_l))
    if noun:
        cancelled = cancelled or bool(_CANCEL.search(near))
    else:
        cancelled = cancelled and bool(re.match(r"^[^,;]{0,60}?\b(?:was|were|had been|has been|have been|is|are|got)\b", after_l) or
                                       re.match(r"^\s*(?:\w+\s+){0,3}?(?:but|before) (?:was|were|being|had been) ", after_l) or
                                       re.search(r"\bbut (?:was|were|had been)\b", after_l))
        cancelled = cancelled or bool(re.search(r"\b(?:cancel(?:l?ed)?|called off|postponed|scrapped|abandoned|dropped) (?:plans? |a |his |her |their |the )?(?:\w+ )?(?:to )?$", tail))
    if re.search(r"\b(?:cut short|rerouted|diverted|turned back)\b", after_l[:40]) and not noun:
        cancelled = False if re.search(r"\bcut short\b", after_l[:40]) else cancelled
    neg = _NEGATION.search(near) or re.search(r"\bno (?:plans?|invitation|intention)\b", tail)
    if neg and not cancelled:
        return Modality("negated", perfect, False)
    future = bool(PLANNED_CUES.search(near)) or bool(re.search(r"\b(?:will|shall|'ll)\b(?!.*\b(?:and|but|while|said)\b)", clause)) or bool(re.search(r"\bready to\s*$", near)) or bool(noun and re.match(r"^\s*(?:\w+\s+){0,2}?(?:planned|scheduled|called|set|due)\s+(?:for|on)\b", after_l)) or bool(re.search(r"\b(?:is|are|was|were)\s+(?:now\s+|also\s+)?$", near) and re.match(r"\s*due\b", after_l))
    if re.search(r"\bwould\b", near) and not _SPEECH_BEFORE.search(aux_l) and not re.search(r"\b(?:said|says|told)\b", aux_l):
        if re.search(r"\b(?:which|that|where) would\b", near):
            return Modality("hypothetical", perfect, True)
    if _HYPOTHETICAL.search(near) and not future:
        return Modality("hypothetical", perfect, False)
    if cancelled:
        return Modality("cancelled", perfect, future)
    if future:
        return Modality("planned", perfect, True)
    return Modality("occurred", perfect, False)
