"""A tiny in-memory gazetteer with the real one's interface, for fast tests of the pure core."""

from __future__ import annotations

from geomap.model import Candidate
from geomap.text import name_variants, normalize_name

_ROWS = [
    # geonameid, name, lat, lon, cc, kind, population, feature, aliases
    (491422, "Sochi", 43.59917, 39.72569, "RU", "city", 343334, "PPL", ["Сочи"]),
    (2013348, "Vladivostok", 43.10562, 131.87353, "RU", "city", 604901, "PPLA", ["Владивосток"]),
    (2021851, "Komsomolsk-on-Amur", 50.55034, 137.00995, "RU", "city", 263906, "PPL", ["Komsomolsk-na-Amure", "Комсомольск-на-Амуре"]),
    (524901, "Moscow", 55.75222, 37.61556, "RU", "city", 10381222, "PPLC", ["Moskva", "Москва"]),
    (625144, "Minsk", 53.9, 27.56667, "BY", "city", 1742124, "PPLC", []),
    (703448, "Kyiv", 50.45466, 30.5238, "UA", "city", 2797553, "PPLC", ["Kiev"]),
    (323786, "Ankara", 39.91987, 32.85427, "TR", "city", 3517182, "PPLC", []),
    (290030, "Doha", 25.28545, 51.53096, "QA", "city", 344939, "PPLC", []),
    (2988507, "Paris", 48.85341, 2.3488, "FR", "city", 2138551, "PPLC", []),
    (4717560, "Paris", 33.66094, -95.55551, "US", "city", 24782, "PPL", []),
    (4699066, "Houston", 29.76328, -95.36327, "US", "city", 2296224, "PPL", []),
    (2643743, "London", 51.50853, -0.12574, "GB", "city", 8961989, "PPLC", []),
    (2165087, "Florence", -27.0, 152.0, "AU", "city", 600, "PPL", []),
    (3176959, "Florence", 43.76956, 11.25581, "IT", "city", 349296, "PPLA", ["Firenze"]),
    (4671654, "Austin", 30.26715, -97.74306, "US", "city", 931830, "PPLA", []),
    (2147714, "Sydney", -33.86785, 151.20732, "AU", "city", 4627345, "PPLA", []),
    (2653261, "Chelsea", 51.48755, -0.16936, "GB", "city", 64000, "PPL", []),
    (1850147, "Tokyo", 35.6895, 139.69171, "JP", "city", 8336599, "PPLC", []),
    (1816670, "Beijing", 39.9075, 116.39723, "CN", "city", 18960744, "PPLC", ["Peking"]),
    (1835848, "Seoul", 37.566, 126.9784, "KR", "city", 10349312, "PPLC", []),
    (1871859, "Pyongyang", 39.03385, 125.75432, "KP", "city", 3222000, "PPLC", []),
    (2267057, "Lisbon", 38.71667, -9.13333, "PT", "city", 517802, "PPLC", []),
    (5128581, "New York City", 40.71427, -74.00597, "US", "city", 8804190, "PPL", ["New York"]),
    (4140963, "Washington", 38.89511, -77.03637, "US", "city", 689545, "PPLC", []),
    (2034937, "Khabarovsk", 48.48271, 135.08379, "RU", "city", 579000, "PPLA", []),
    (-1, "Vostochny Cosmodrome", 51.884, 128.334, "RU", "landmark", 0, "SPCPRT", ["Vostochny spaceport", "Vostochny cosmodrome"]),
    (2013100, "Vostochny", 42.9, 132.8, "RU", "city", 5000, "PPL", []),
    (2017370, "Russia", 60.0, 100.0, "RU", "country", 144478050, "PCLI", ["Russian Federation"]),
    (630336, "Belarus", 53.0, 28.0, "BY", "country", 9485386, "PCLI", []),
    (1873107, "North Korea", 40.0, 127.0, "KP", "country", 25549819, "PCLI", []),
    (690791, "Ukraine", 49.0, 32.0, "UA", "country", 44622516, "PCLI", []),
    (6252001, "United States", 39.76, -98.5, "US", "country", 327167434, "PCLI", ["United States of America", "USA"]),
    (298795, "Turkey", 39.0, 35.0, "TR", "country", 82319724, "PCLI", []),
    (289688, "Qatar", 25.5, 51.25, "QA", "country", 2781677, "PCLI", []),
    (2264397, "Portugal", 39.5, -8.0, "PT", "country", 10281762, "PCLI", []),
    (2635167, "United Kingdom", 54.75844, -2.69531, "GB", "country", 66488991, "PCLI", []),
    (1861060, "Japan", 35.68536, 139.75309, "JP", "country", 126529100, "PCLI", []),
    (1814991, "China", 35.0, 105.0, "CN", "country", 1392730000, "PCLI", []),
    (4736286, "Texas", 31.25044, -99.25061, "US", "admin", 22875689, "ADM1", []),
    (-2, "Far East", 55.0, 135.0, "RU", "region", 0, "RGN", ["Russian Far East"]),
    (-3, "Pacific Ocean", 0.0, -160.0, None, "water", 0, "OCN", ["Pacific"]),
]

_DEMONYMS = {
    "russian": "RU", "belarusian": "BY", "north korean": "KP", "ukrainian": "UA", "american": "US",
    "turkish": "TR", "portuguese": "PT", "british": "GB", "japanese": "JP", "chinese": "CN", "qatari": "QA",
    "western": None,
}


class FakeGazetteer:
    def __init__(self) -> None:
        self.by_key: dict[str, list[Candidate]] = {}
        self.by_id: dict[int, Candidate] = {}
        for gid, name, lat, lon, cc, kind, pop, fcode, aliases in _ROWS:
            c = Candidate(gid, name, lat, lon, cc, kind, pop, fcode)
            self.by_id[gid] = c
            for n in [name, *aliases]:
                k = normalize_name(n)
                for key in {k, *name_variants(k)}:
                    self.by_key.setdefault(key, []).append(c)

    def has_key(self, key: str) -> bool:
        return key in self.by_key

    def lookup(self, name: str, *, limit: int = 50) -> list[Candidate]:
        k = normalize_name(name)
        hits = list(self.by_key.get(k, []))
        for v in name_variants(k):
            hits += [c for c in self.by_key.get(v, []) if c not in hits]
        order = {"country": 0, "admin": 1, "region": 2, "water": 3, "landmark": 4, "city": 5}
        return sorted(hits, key=lambda c: (order[c.kind], -c.population))[:limit]

    def max_words(self) -> int:
        return 4

    def demonym(self, word: str) -> Candidate | None:
        code = _DEMONYMS.get(normalize_name(word))
        return self.country(code) if code else None

    def country(self, code: str) -> Candidate | None:
        return next((c for c in self.by_id.values() if c.kind == "country" and c.country_code == code), None)

    def get(self, geonameid: int) -> Candidate | None:
        return self.by_id.get(geonameid)


_COMMON = {"center": 5.2, "may": 6.0, "bell": 4.6, "council": 5.1, "war": 5.5, "home": 5.8, "sanctions": 4.4}
_GIVEN = {"florence", "austin", "sydney", "chelsea", "paris", "jack", "gregory", "joe", "matthew", "georgia"}


def _word_frequency(self, word: str) -> float:
    return _COMMON.get(normalize_name(word), 0.0)


def _is_first_name(self, word: str) -> bool:
    return normalize_name(word) in _GIVEN


FakeGazetteer.word_frequency = _word_frequency
FakeGazetteer.is_first_name = _is_first_name
