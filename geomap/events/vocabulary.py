"""The event vocabulary: types, the words that trigger them, and their CAMEO and PLOVER codes.

One table, :data:`EVENT_TYPES`, is the whole vocabulary. Adding an event type is one
:class:`EventType` entry (plus its tests). Verb lemmas are expanded to every inflected
form with ``lemminflect`` (so "fly" also matches "flew", "flown", "flying", "flies");
nouns match in the singular and plural.

Types, codes and a few triggers (the table in the README is generated from this one):

==========  =====  ===========  ====  ==========================================================
type        CAMEO  PLOVER       stop  some triggers
==========  =====  ===========  ====  ==========================================================
travel      042    --           yes   fly, travel, arrive, land, leave for, head, return, drive,
                                      cross, trip, stop, flight, was flown/taken/transferred to
visit       042    --           yes   visit, tour, inspect, a visit to
meet        040    CONSULT      yes   meet, hold talks, talks, meeting, summit, brief
host        043    CONSULT      yes   host, welcome, receive
attend      042    --           yes   attend, take part, join, participate
address     010    --           yes   address, speak, testify, a speech
sign        057    AGREE        yes   sign, ink
agree       057    AGREE        no    agree, agreement, deal, ceasefire, accord
protest     141    PROTEST      no    protest, demonstrate, march, rally, sit-in, demonstrators
rally       141    PROTEST      no    rally (a political rally), campaign
strike      143    PROTEST      no    went on strike, walkout, stoppage, downed tools
clash       190    ASSAULT      no    clash, fighting, battle, skirmish, exchange of fire
assault     190    ASSAULT      no    attack, ambush, bomb, shell, air strike, kill, shoot, raid
arrest      173    COERCE       no    arrest, detain, round up, apprehend, custody
trial       115    COERCE       no    trial, sentence, convict, charge, court ordered, acquit
deploy      154    MOBILIZE     no    deploy, send troops, reinforce, advance, patrol
exercise    152    MOBILIZE     no    exercise, drills, manoeuvres, war games
evacuate    --     --           no    evacuate, flee, displace, relocate residents
aid         073    AID          no    aid, deliver, convoy, airlift, distribute, relief
sanction    163    SANCTION     no    sanction, embargo, blacklist, asset freeze
vote        --     --           no    vote, election, referendum, ballot, polls
disaster    --     --           no    earthquake, flood, storm, cyclone, wildfire, landslide, outbreak
accident    --     --           no    crash, derail, collision, capsize, sink, explosion at a plant
==========  =====  ===========  ====  ==========================================================

CAMEO and PLOVER have no code for natural disasters, accidents, votes and evacuations
(``--`` above, ``None`` in the data); PLOVER codes travel and attendance as no event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["EventType", "EVENT_TYPES", "STOP_TYPES", "Trigger", "trigger_of", "lemma_of", "GROUP_NOUNS", "PERSON_NOUNS",
           "is_description"]


@dataclass(frozen=True)
class EventType:
    """One kind of event and the words that report it."""

    name: str
    cameo: str | None
    plover: str | None
    #: verb lemmas ("fly"); a lemma with a particle or preposition is a phrase ("leave for", "go on to")
    verbs: tuple[str, ...] = ()
    #: nouns ("trip", "air strike"); matched in the singular and plural
    nouns: tuple[str, ...] = ()
    #: whether an actor's event of this type puts the actor at the place (an itinerary stop)
    stop: bool = False
    #: verbs whose direct object is the place ("visited Batumi", "shelled Homs")
    object_place: tuple[str, ...] = ()


EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "travel", "042", None, stop=True,
        verbs=("fly", "travel", "arrive", "land", "leave for", "leave", "depart", "head", "return", "drive", "cross",
               "move on", "move", "go on to", "go to", "go", "continue", "sail", "journey", "proceed", "set off",
               "come", "reach", "transfer", "take to", "escape", "relocate", "evacuate to", "stop", "stop over", "transit",
               "board", "fly in", "fly back", "fly home", "head home", "make stop", "enter", "touch down",
               "commute", "trek", "ride", "ferry", "rush", "divert", "reroute",
               "be due", "be expected in", "be expected at", "be expected back", "spend", "stay", "remain", "be back",
               # presence: where someone lives, works or is based
               "live", "be born", "grow up", "settle", "reside", "be based", "work", "employ",
               "serve", "camp", "shelter", "emigrate", "immigrate", "flee to"),
        nouns=("trip", "journey", "stop", "stopover", "leg", "flight", "arrival", "departure", "return",
               "homecoming", "voyage", "stay", "transit", "way", "way home", "way back", "train", "plane", "ferry", "helicopter", "motorcade"),
        object_place=("reach", "cross", "enter", "leave", "board", "transit"),
    ),
    EventType("visit", "042", None, stop=True, verbs=("visit", "tour", "inspect", "call at", "drop in"),
              nouns=("visit", "tour", "inspection", "state visit"), object_place=("visit", "tour", "inspect")),
    EventType("meet", "040", "CONSULT", stop=True,
              verbs=("meet", "hold talks", "talk", "confer", "brief", "negotiate", "consult"),
              nouns=("talks", "meeting", "summit", "discussions", "negotiations", "consultations", "briefing",
                     "bilateral", "conference")),
    EventType("host", "043", "CONSULT", stop=True, verbs=("host", "welcome", "receive", "greet")),
    EventType("attend", "042", None, stop=True,
              verbs=("attend", "take part", "participate", "join", "watch", "compete", "perform", "play", "race",
                     "train", "accompany"),
              nouns=("ceremony", "concert", "festival", "race", "match", "celebration", "funeral", "tournament",
                     "competition", "championship", "championships", "game", "games", "show", "exhibition", "fair",
                     "gala", "premiere", "commemoration", "session")),
    EventType("address", "010", None, stop=True,
              verbs=("address", "speak", "testify", "lecture", "give speech", "deliver speech", "tell reporters",
                     "tell journalists", "brief reporters", "tell a news conference"),
              nouns=("speech", "address", "lecture", "testimony", "press conference", "news conference")),
    EventType("sign", "057", "AGREE", stop=True, verbs=("sign", "ink", "initial"), nouns=("signing",)),
    EventType("agree", "057", "AGREE", verbs=("agree", "broker", "seal", "conclude"),
              nouns=("agreement", "deal", "ceasefire", "truce", "accord", "pact", "treaty")),
    EventType("protest", "141", "PROTEST",
              verbs=("protest", "demonstrate", "march", "picket", "rally", "riot", "occupy", "blockade"),
              nouns=("protest", "demonstration", "march", "sit-in", "rally", "riot", "vigil", "blockade",
                     "protester", "demonstrator", "marcher")),
    EventType("rally", "141", "PROTEST", verbs=("campaign", "stump"), nouns=("campaign rally", "campaign event",
              "campaign stop")),
    EventType("strike", "143", "PROTEST", verbs=("walk out", "down tools", "go on strike", "strike work"),
              nouns=("strike", "striker", "walkout", "stoppage", "work stoppage", "general strike", "industrial action")),
    EventType("clash", "190", "ASSAULT", verbs=("clash", "fight", "battle", "skirmish", "exchange fire"),
              nouns=("clash", "clashes", "fighting", "battle", "skirmish", "gunfight", "firefight", "exchange of fire")),
    EventType(
        "assault", "190", "ASSAULT",
        verbs=("attack", "ambush", "bomb", "shell", "strike", "kill", "shoot", "raid", "hit", "fire", "target",
               "massacre", "explode", "detonate", "storm", "besiege", "behead", "stab", "murder", "kidnap",
               "abduct", "pound", "bombard", "assassinate", "execute", "assault", "torch", "burn", "loot",
               "blow up", "set fire", "open fire", "shoot dead", "fire on", "fire at", "go off"),
        nouns=("attack", "ambush", "bombing", "bomb", "car bomb", "suicide bombing", "blast", "explosion",
               "shelling", "air strike", "airstrike", "drone strike", "missile strike", "strike", "killing",
               "shooting", "raid", "assault", "massacre", "rocket", "mortar", "artillery", "gunfire",
               "kidnapping", "abduction", "assassination", "shootout", "barrage", "offensive", "incursion",
               "bombardment", "siege", "ied", "grenade", "mortar attack", "rocket attack"),
        object_place=("attack", "shell", "bomb", "raid", "hit", "strike", "storm", "target", "pound", "bombard",
                      "besiege", "loot", "torch"),
    ),
    EventType("arrest", "173", "COERCE",
              verbs=("arrest", "detain", "round up", "apprehend", "jail", "imprison", "seize", "capture",
                     "deport", "expel", "extradite", "intern", "hold in custody"),
              nouns=("arrest", "detention", "custody", "crackdown", "deportation", "roundup")),
    EventType("trial", "115", "COERCE",
              verbs=("sentence", "convict", "charge", "try", "acquit", "indict", "prosecute", "order held", "find guilty",
                     "remand", "jail", "fine"),
              nouns=("trial", "hearing", "verdict", "sentence", "conviction", "indictment", "court", "tribunal")),
    EventType("deploy", "154", "MOBILIZE",
              verbs=("deploy", "send troops", "dispatch", "reinforce", "advance", "mobilize", "mobilise",
                     "station", "patrol", "redeploy", "send", "move troops", "mass"),
              nouns=("deployment", "reinforcements", "patrol", "buildup", "build-up")),
    EventType("exercise", "152", "MOBILIZE", verbs=("drill", "conduct exercises", "hold exercises", "rehearse"),
              nouns=("exercise", "exercises", "drill", "drills", "manoeuvres", "maneuvers", "war games", "wargames")),
    EventType("evacuate", None, None,
              verbs=("evacuate", "flee", "displace", "uproot", "leave home"),
              nouns=("evacuation", "exodus", "displacement", "evacuees", "refugees"),
              object_place=("evacuate", "flee", "abandon", "leave home")),
    EventType("aid", "073", "AID",
              verbs=("deliver", "distribute", "airdrop", "donate", "supply", "ship aid", "provide aid"),
              nouns=("aid", "relief", "convoy", "aid convoy", "supplies", "food aid", "humanitarian aid",
                     "airlift", "airdrop", "shipment", "delivery", "assistance")),
    EventType("sanction", "163", "SANCTION",
              verbs=("sanction", "embargo", "blacklist", "freeze assets", "impose sanctions", "ban", "impose"),
              nouns=("sanctions", "sanction", "embargo", "asset freeze", "travel ban", "export ban")),
    EventType("vote", None, None, verbs=("vote", "elect", "cast ballot", "cast ballots", "cast votes", "go to the polls",
                                         "re-elect"),
              nouns=("vote", "voter", "election", "elections", "referendum", "ballot", "polls", "poll", "runoff", "by-election",
                     "plebiscite")),
    EventType("disaster", None, None,
              verbs=("flood", "erupt", "inundate", "submerge", "batter", "hit", "strike", "sweep", "ravage",
                     "devastate", "burn", "tremble", "shake", "make landfall", "spread", "kill", "destroy", "damage",
                     "flatten", "injure", "rock"),
              nouns=("earthquake", "quake", "tremor", "aftershock", "flood", "floods", "flooding", "flash flood",
                     "storm", "cyclone", "hurricane", "typhoon", "tornado", "wildfire", "bushfire", "forest fire",
                     "fire", "blaze", "landslide", "mudslide", "avalanche", "tsunami", "eruption", "drought",
                     "heatwave", "heat wave", "outbreak", "epidemic", "cholera", "famine", "monsoon rains",
                     "downpours", "rains", "snowstorm", "blizzard", "volcano"),
              object_place=("hit", "strike", "batter", "inundate", "flood", "ravage", "devastate", "sweep", "rock", "shake",
                            "submerge", "flatten", "destroy", "damage")),
    EventType("accident", None, None,
              verbs=("crash", "derail", "collide", "capsize", "sink", "overturn", "plunge", "run aground",
                     "go down", "catch fire", "collapse", "kill", "injure"),
              nouns=("crash", "accident", "derailment", "collision", "pile-up", "capsizing", "sinking", "wreck",
                     "collapse", "spill", "leak", "plane crash", "train crash")),
)

#: Types whose events put their actor at the place (and so make itinerary stops).
STOP_TYPES = frozenset(t.name for t in EVENT_TYPES if t.stop)
TYPES = {t.name: t for t in EVENT_TYPES}

#: Nouns that name a group of people who can act or travel ("the delegation", "protesters").
GROUP_NOUNS = frozenset(
    """protesters protestors demonstrators marchers activists students workers employees nurses doctors
    teachers miners farmers drivers dockworkers unions union strikers police policemen officers troops
    soldiers forces army military navy militants gunmen fighters rebels insurgents jihadists militia
    militias attackers assailants bombers raiders residents villagers civilians refugees migrants crowds
    crowd mob rioters supporters fans delegation delegations team squad band orchestra choir crew
    mission convoy pilgrims tourists passengers lawmakers legislators parliament senators deputies
    government junta regime authorities officials ministers leaders diplomats envoys inspectors
    monitors observers peacekeepers rescuers firefighters medics volunteers organisers organizers
    opposition coalition columns units battalion brigade jets warplanes drones artillery court judges
    prosecutors investigators agents guards coastguard contingent entourage party group members gangs gang
    trucks lorries voters strikers
    clans clan voters tribesmen herders settlers pirates smugglers traffickers looters extremists
    separatists loyalists paramilitaries marines sailors airmen commandos detainees prisoners inmates
    hostages mourners worshippers pilgrims""".split()
)

#: Nouns that describe a single person ("the minister", "the envoy"): a definite one refers back.
PERSON_NOUNS = frozenset(
    """minister envoy ambassador diplomat president premier chancellor leader director secretary
    governor mayor senator official executive chief ceo chairman chairwoman chair founder head
    representative commissioner delegate negotiator emissary spokesman spokeswoman spokesperson
    general commander admiral colonel king queen prince princess pope emperor sheikh emir sultan
    monarch star player athlete singer actor actress rapper artist musician writer author reporter
    journalist correspondent photographer activist dissident lawyer judge prosecutor doctor nurse
    scientist researcher professor coach captain striker driver cyclist runner swimmer skier climber
    businessman businesswoman entrepreneur tycoon billionaire investor banker economist analyst
    politician lawmaker candidate nominee bishop cardinal imam rabbi priest pastor superstar
    ambassadors deputy aide adviser advisor counterpart host guest visitor traveller traveler mediator
    negotiator envoy-designate
    woman man teenager boy girl victim survivor suspect mother father guitarist drummer pianist violinist
    composer conductor dancer comedian chef designer architect engineer pilot sailor soldier officer""".split()
)


@dataclass(frozen=True)
class Trigger:
    """One word (or phrase) of the vocabulary found in a sentence."""

    type: str
    lemma: str
    start: int  # token index of the first word
    end: int  # token index after the last word
    pos: str  # "verb" or "noun"
    tag: str  # Penn tag for verbs (VBD, VBN, VBG, VBZ, VBP, VB); "NN"/"NNS" for nouns


_PEOPLE_NOUNS = GROUP_NOUNS | PERSON_NOUNS


def is_description(actor: str) -> bool:
    """Whether an actor is described ("officials", "Protesters", "Russian troops", "the delegation")
    rather than named ("Vladimir Putin", "Wagner Group", "Hamas"): its head noun is a common noun
    for people, written in lower case or standing alone.

    >>> [is_description(a) for a in ("Russian troops", "Protesters", "Wagner Group", "Hamas")]
    [True, True, False, False]
    """
    words = actor.split()
    if not words:
        return False
    head = words[-1]
    return head.lower() in _PEOPLE_NOUNS and (head.islower() or len(words) == 1)


@lru_cache(maxsize=None)
def _inflections(lemma: str, upos: str) -> dict[str, str]:
    from lemminflect import getAllInflections, getAllInflectionsOOV

    got = getAllInflections(lemma, upos=upos) or getAllInflectionsOOV(lemma, upos=upos)
    out: dict[str, str] = {}
    for tag, forms in got.items():
        for f in forms:
            out.setdefault(f.lower(), tag)
    out.setdefault(lemma, "VB" if upos == "VERB" else "NN")
    return out


@dataclass
class _Lexicon:
    #: first word form -> list of (rest of phrase words, type, lemma, pos, tag)
    first: dict[str, list[tuple[tuple[str, ...], str, str, str, str]]] = field(default_factory=dict)
    verb_lemma: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: past participles ("arrested", "flown"): a form may be both past tense and participle
    participles: set[str] = field(default_factory=set)

    def add(self, words: tuple[str, ...], type_: str, lemma: str, pos: str, tag: str) -> None:
        self.first.setdefault(words[0], []).append((words[1:], type_, lemma, pos, tag))


@lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    lex = _Lexicon()
    for et in EVENT_TYPES:
        for phrase in et.verbs:
            head, *rest = phrase.split()
            if head == "be":
                forms = {"is": "VBZ", "are": "VBP", "was": "VBD", "were": "VBD", "be": "VB", "been": "VBN", "being": "VBG"}
            else:
                forms = _inflections(head, "VERB")
            if head != "be":
                from lemminflect import getAllInflections

                infl = getAllInflections(head, upos="VERB") or {}
                # regular verbs list their participle only as the past form ("detained")
                lex.participles.update(f.lower() for f in infl.get("VBN", infl.get("VBD", ())))
            for form, tag in forms.items():
                lex.add((form, *rest), et.name, phrase, "verb", tag)
                lex.verb_lemma.setdefault(form, (head, tag))
        for phrase in et.nouns:
            words = phrase.split()
            plural = _inflections(words[-1], "NOUN")
            for form, tag in plural.items():
                if tag in ("NN", "NNS"):
                    lex.add((*words[:-1], form), et.name, phrase, "noun", tag)
    for entries in lex.first.values():
        entries.sort(key=lambda e: -len(e[0]))  # longest phrase first
    return lex


def is_participle(word: str) -> bool:
    """Whether a vocabulary verb form can be a past participle ("arrested", "flown")."""
    return word.lower() in lexicon().participles


def lemma_of(word: str) -> tuple[str, str] | None:
    """(lemma, Penn tag) of an inflected verb form from the vocabulary, else ``None``.

    >>> lemma_of("flew")
    ('fly', 'VBD')
    """
    return lexicon().verb_lemma.get(word.lower())


_GAP_WORDS = frozenset("on back home in out up off over again briefly directly first onward onwards".split())


def trigger_of(words: list[str], i: int) -> list[Trigger]:
    """The vocabulary entries that start at token ``i`` of ``words`` (lower-cased), longest first.

    A phrase's later words may be separated from its head by one particle ("flew back home",
    "went on to"); a noun phrase must be contiguous.
    """
    out: list[Trigger] = []
    entries = lexicon().first.get(words[i])
    if not entries:
        return out
    for rest, type_, lemma, pos, tag in entries:
        j = i + 1
        ok = True
        for w in rest:
            if j < len(words) and words[j] == w:
                j += 1
            elif pos == "verb" and j + 1 < len(words) and words[j] in _GAP_WORDS and words[j + 1] == w:
                j += 2
            else:
                ok = False
                break
        if ok:
            out.append(Trigger(type_, lemma, i, j, pos, tag))
    return out


_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}


def number_of(word: str) -> int | None:
    """An integer for a numeral or number word ("23", "1,200", "nine"), else ``None``."""
    w = word.lower().replace(",", "")
    if re.fullmatch(r"\d+", w):
        return int(w)
    return _NUMBER_WORDS.get(w)


def vocabulary_table(examples: int = 6) -> str:
    """The vocabulary as a Markdown table (type, CAMEO, PLOVER, itinerary stop, some triggers).

    The README's table is this function's output, and a test keeps the two the same.
    """
    rows = ["| type | CAMEO | PLOVER | stop | some triggers (verbs; nouns) |", "|---|---|---|---|---|"]
    for t in EVENT_TYPES:
        verbs = ", ".join(t.verbs[:examples])
        nouns = ", ".join(t.nouns[:examples])
        trig = "; ".join(x for x in (verbs, nouns) if x)
        rows.append(f"| {t.name} | {t.cameo or '—'} | {t.plover or '—'} | {'yes' if t.stop else 'no'} | {trig} |")
    return "\n".join(rows)
